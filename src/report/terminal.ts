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
