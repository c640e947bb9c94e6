/**
 * The last few results of a pure function of a file's text. Posture analyzers and inventory extractors
 * read the same file one after another (the Kubernetes analyzer, then the Kubernetes extractor): with
 * this the YAML parser runs once per file for all of them. Results are shared, so callers treat them
 * as read-only.
 * @example const parse = recentByText((text) => parseAllDocuments(text)); parse(t) === parse(t) // true
 */
export function recentByText<T>(
  compute: (text: string) => T,
  keep = 1,
): ((text: string) => T) & { peek(text: string): T | undefined } {
  const recent = new Map<string, T>();
  const get = (text: string): T => {
    if (recent.has(text)) return recent.get(text) as T;
    const value = compute(text);
    recent.set(text, value);
    if (recent.size > keep) recent.delete(recent.keys().next().value as string);
    return value;
  };
  /** The kept result for this text, computing nothing. */
  get.peek = (text: string): T | undefined => recent.get(text);
  return get;
}
