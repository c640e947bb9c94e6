/**
 * Splits a shell script into logical lines (backslash continuations joined), keeping each one's first
 * physical line so a finding can be placed on it. Shared by the CI analyzers (GitHub Actions `run:`,
 * GitLab `script:`).
 * @example logicalLines('aws s3 cp \\\n  a b\necho done') // [{ text: 'aws s3 cp    a b', first: 'aws s3 cp \\' }, …]
 */
export function logicalLines(script: string): { text: string; first: string }[] {
  const out: { text: string; first: string }[] = [];
  let buf = '';
  let first = '';
  for (const raw of script.split('\n')) {
    if (buf === '') first = raw;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    out.push({ text: buf + raw, first });
    buf = '';
  }
  if (buf !== '') out.push({ text: buf, first });
  return out;
}
