/**
 * Text an attacker may control (file names, identity names, user agents, log fields) on its way to a
 * terminal. Every human-readable output passes such text through `termSafe` so no control character,
 * escape sequence (CSI, OSC 8 hyperlinks, title changes) or newline reaches the terminal raw, and a
 * hostile 100 KB name cannot blow a table up.
 */

/** The longest field printed by default; longer ones are cut in the middle. */
export const DEFAULT_FIELD_MAX = 200;

// C0 controls (U+0000–U+001F, ESC among them), DEL (U+007F), C1 controls (U+0080–U+009F, which some
// terminals read as CSI/OSC introducers), and the Unicode line/paragraph separators and bidi controls
// that can make a line lie about its content (CVE-2021-42574, "Trojan Source").
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  switch (code) {
    case 0x09:
      return '\\t';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x1b:
      return '\\e';
    default:
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
}

/**
 * Escapes every control character as visible text (`\e`, `\n`, `\x9b`, …) so the terminal prints it
 * rather than acting on it.
 * @example escapeControl('a\u001b[2Jb') // 'a\\e[2Jb'
 */
export function escapeControl(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/**
 * Shortens `text` to at most `max` characters by cutting out its middle, where long ids carry the
 * least (`arn:aws:iam::123456789012:user/ci-deployer` → `arn:aws:iam::…:user/ci-deployer`). Cuts never
 * split a surrogate pair.
 */
export function truncateMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  const keep = max - 1;
  const head = Math.ceil(keep * 0.4);
  const tail = keep - head;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/**
 * What every table prints for a field it did not write itself: control characters escaped first (so a
 * cut can never leave an escape sequence open), then cut in the middle to `max` characters.
 * @example termSafe(identity.name, 60)
 */
export function termSafe(text: unknown, max: number = DEFAULT_FIELD_MAX): string {
  const s = typeof text === 'string' ? text : text === undefined || text === null ? '' : String(text);
  return truncateMiddle(escapeControl(s), max);
}

/** Columns a line may take when nothing says otherwise: the width every table must read well at. */
export const DEFAULT_WIDTH = 80;

/**
 * The width tables fit: `COLUMNS` when set (as shells and CI runners export it), else the terminal's
 * own width, else 80.
 * @example terminalWidth({ env: process.env, columns: process.stdout.columns })
 */
export function terminalWidth(io: { env: Readonly<Record<string, string | undefined>>; columns?: number | undefined }): number {
  const fromEnv = Number(io.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  if (io.columns !== undefined && Number.isInteger(io.columns) && io.columns >= 20) return io.columns;
  return DEFAULT_WIDTH;
}

/** One column of a table. */
export interface Column {
  header: string;
  /** The width it wants (streamed tables, where rows are not known in advance); else the widest cell. */
  size?: number;
  /** Never narrower than this when the table must shrink to fit (default: the header, at most 8). */
  min?: number;
  align?: 'left' | 'right';
  /** Wraps onto continuation lines instead of being cut (titles, messages): at most one per table. */
  wrap?: boolean;
  /** Left out (last first) when the table cannot fit `width` even at every column's minimum. */
  optional?: boolean;
  /** Colour for a cell, applied after padding so widths stay right. */
  style?: (padded: string, raw: unknown) => string;
}

const GAP = 2;

function len(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Column widths that fit `width`: each column its wanted size, then the widest shrunk first, never
 * below its minimum. The wrap column takes what is left.
 */
export function layoutColumns(columns: readonly Column[], wanted: readonly number[], width: number, indent = 0): number[] {
  const widths = wanted.map((w, i) => Math.max(w, len(columns[i]!.header)));
  const mins = columns.map((c) => c.min ?? Math.min(len(c.header), 8));
  let excess = indent + widths.reduce((a, b) => a + b, 0) + GAP * (columns.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (
        widths[i]! > mins[i]! &&
        (widest < 0 || widths[i]! > widths[widest]! || (columns[i]!.wrap && widths[i] === widths[widest]))
      )
        widest = i;
    if (widest < 0) break;
    widths[widest]!--;
    excess--;
  }
  return widths;
}

function pad(s: string, w: number, align: 'left' | 'right' | undefined): string {
  const n = len(s);
  if (n >= w) return s;
  return align === 'right' ? ' '.repeat(w - n) + s : s + ' '.repeat(w - n);
}

/** Splits text into lines of at most `w` characters, at spaces where it can; at most 20 lines. */
function wrapText(text: string, w: number): string[] {
  const chars = Array.from(text);
  if (chars.length <= w) return [text];
  const out: string[] = [];
  let i = 0;
  while (i < chars.length) {
    if (out.length === 19 && chars.length - i > w) {
      // A hostile 100 KB field must not become a thousand lines either.
      out.push(truncateMiddle(chars.slice(i).join(''), w));
      break;
    }
    let end = Math.min(i + w, chars.length);
    if (end < chars.length) {
      // Break at the last space, else after the last separator (ids: dots, dashes, slashes, commas).
      let at = -1;
      for (let k = end; k > i; k--) {
        if (chars[k] === ' ') {
          at = k;
          break;
        }
        if (at < 0 && k < end && '.,/-:;|'.includes(chars[k - 1]!)) at = k;
      }
      if (at > i) end = at;
    }
    out.push(chars.slice(i, end).join('').trimEnd());
    i = end;
    while (chars[i] === ' ') i++;
  }
  return out;
}

/**
 * A table whose column widths are fixed up front, for output that streams (events, alerts): header
 * once, then rows as they come. Every cell goes through `termSafe`, is cut in the middle to its width
 * (or wrapped, for a `wrap` column), and the line never exceeds `width`.
 * @example const t = createTable([{ header: 'TIME', size: 24 }, { header: 'IDENTITY', size: 40 }], 80); out(t.header()); out(t.row([e.time, e.identity.name]))
 */
export function createTable(
  all: readonly Column[],
  width: number,
  options: { indent?: number; wanted?: readonly number[] } = {},
): { widths: number[]; header: () => string; row: (cells: readonly unknown[]) => string } {
  const indent = ' '.repeat(options.indent ?? 0);
  // Optional columns go, last first, while even the minimums do not fit.
  const keep = all.map(() => true);
  const minOf = (c: Column) => c.min ?? Math.min(len(c.header), 8);
  const need = () => indent.length + all.reduce((a, c, i) => a + (keep[i] ? minOf(c) + GAP : 0), -GAP);
  for (let i = all.length - 1; i >= 0 && need() > width; i--) if (all[i]!.optional) keep[i] = false;
  const columns = all.filter((_, i) => keep[i]);
  const wanted = (options.wanted ?? all.map((c) => c.size ?? len(c.header))).filter((_, i) => keep[i]);
  const widths = layoutColumns(columns, wanted, width, indent.length);
  const render = (cells: readonly string[], raw: readonly unknown[], styled: boolean): string => {
    const parts = columns.map((c, i) =>
      c.wrap ? wrapText(cells[i] ?? '', widths[i]!) : [truncateMiddle(cells[i] ?? '', widths[i]!)],
    );
    const height = Math.max(...parts.map((p) => p.length));
    const lines: string[] = [];
    for (let l = 0; l < height; l++) {
      const line = columns.map((c, i) => {
        const last = i === columns.length - 1;
        const text = parts[i]![l] ?? '';
        const padded = last && c.align !== 'right' ? text : pad(text, widths[i]!, c.align);
        return styled && c.style && text ? c.style(padded, raw[i]) : padded;
      });
      lines.push(`${indent}${line.join(' '.repeat(GAP))}`.trimEnd());
    }
    return `${lines.join('\n')}\n`;
  };
  const pick = <T>(cells: readonly T[]): T[] => cells.filter((_, i) => keep[i]);
  return {
    widths,
    header: () =>
      render(
        columns.map((c) => c.header),
        [],
        false,
      ),
    row: (cells) => {
      const kept = pick(cells);
      return render(
        kept.map((c, i) => termSafe(c, columns[i]?.wrap ? 2000 : DEFAULT_FIELD_MAX)),
        kept,
        true,
      );
    },
  };
}

/**
 * The one function behind every human-readable table: a header row, then the rows, each cell through
 * `termSafe`, columns sized to their content and shrunk (longest ids cut in the middle) to fit `width`.
 * @example formatTable([{ header: 'ID' }, { header: 'TITLE', wrap: true }], rules.map((r) => [r.id, r.title]), terminalWidth(io))
 */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly unknown[])[],
  width: number,
  options: { indent?: number; header?: boolean } = {},
): string {
  const safe = rows.map((r) => r.map((c, i) => termSafe(c, columns[i]?.wrap ? 2000 : DEFAULT_FIELD_MAX)));
  const wanted = columns.map((c, i) => Math.max(len(c.header), ...safe.map((r) => len(r[i] ?? ''))));
  const table = createTable(columns, width, { indent: options.indent ?? 0, wanted });
  const out = options.header === false ? [] : [table.header()];
  for (const r of rows) out.push(table.row(r));
  return out.join('');
}
