/** Plain-text tables for benchmark output: right-aligned numbers, left-aligned text. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-\d.,%×x ]*$/.test(r[i] ?? '') || r[i] === 'n/a'));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number with fixed decimals, or "n/a". */
export function fixed(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** Rounds for the JSON result line: enough digits to quote, no float noise. */
export function round(n: number | undefined, digits = 2): number | null {
  if (n === undefined || !Number.isFinite(n)) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** "123/456 (27.0 %)". */
export function ratio(part: number, whole: number): string {
  return `${part}/${whole} (${whole === 0 ? 'n/a' : ((100 * part) / whole).toFixed(1)} %)`;
}

/**
 * Peak resident set size of this process so far, in MiB (the kernel's high-water mark, threads
 * included): what every bench prints beside its speed.
 * @example console.log(`peak RSS ${fixed(peakRssMb(), 0)} MiB`)
 */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
