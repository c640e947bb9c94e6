/**
 * The one way posture analyzers parse HCL2 (Terraform, Vault policies): through `@cdktf/hcl2json`
 * (HashiCorp's own HCL parser compiled to WebAssembly), guarded.
 */

/**
 * hcl2json's Go runtime overflows the JavaScript stack at a few thousand levels of nesting and then
 * aborts the whole process on the next call ("fatal error: malloc deadlock"), so deeper input never
 * reaches it. Real Terraform and Vault policies stay under twenty levels.
 */
export const MAX_HCL_NESTING = 200;

/**
 * Upper bound of bracket nesting: brackets inside strings and comments count too, which only
 * over-estimates and so errs on the side of not calling the parser.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91 || c === 40) {
      if (++depth > max) max = depth;
    } else if ((c === 125 || c === 93 || c === 41) && depth > 0) depth--;
  }
  return max;
}

/** Block YAML nests by indentation: deeper than this many columns, no manifest is written by hand. */
const MAX_INDENT = 1000;
const DEEP_INDENT = new RegExp(`^[ \\t]{${MAX_INDENT},}\\S`, 'm');

/**
 * Why `text` must not reach a recursive parser (YAML, JSON, HCL), or undefined when it may: bracket
 * nesting over MAX_HCL_NESTING, 64 block sequences opened on one line (`- - - …`), or indentation
 * deeper than MAX_INDENT columns. The parsers recurse per level; a stack overflow inside one is
 * caught, but can leave V8 to abort the process on a later regular-expression compile ("RegExpCompiler
 * Allocation failed"), so such text is reported malformed instead of parsed.
 * @example hostileNesting('['.repeat(5000)) // 'nesting deeper than 200 levels'
 */
export function hostileNesting(text: string): string | undefined {
  if (nestingDepth(text) > MAX_HCL_NESTING) return `nesting deeper than ${MAX_HCL_NESTING} levels`;
  if (/(?:-[ \t]+){64}/.test(text)) return 'more than 64 sequences opened on one line';
  if (DEEP_INDENT.test(text)) return `indented deeper than ${MAX_INDENT} columns`;
  return undefined;
}

/**
 * hcl2json instantiates a Go WebAssembly runtime when imported (about 100 ms): load it on the first
 * HCL file rather than on every scan.
 */
let hcl2json: Promise<typeof import('@cdktf/hcl2json')> | undefined;

/**
 * Parses HCL2 to JSON (blocks as lists of instances; expressions as "${…}" strings). Throws on a
 * syntax error, and on nesting deep enough to crash the parser, with a message fit for `malformed`.
 * @example await parseHcl('main.tf', 'resource "a" "b" { x = 1 }')
 */
export async function parseHcl(filename: string, contents: string): Promise<Record<string, unknown>> {
  if (nestingDepth(contents) > MAX_HCL_NESTING) throw new Error(`nesting deeper than ${MAX_HCL_NESTING} levels, not parsed`);
  // Posture and inventory both read every Terraform file: they share one parse (results are read-only).
  const cached = recent.get(contents);
  if (cached !== undefined) return cached;
  hcl2json ??= import('@cdktf/hcl2json');
  const parsed = hcl2json.then((m) => m.parse(filename, contents) as Promise<Record<string, unknown>>);
  if (contents.length >= MIN_CACHED) {
    recent.set(contents, parsed);
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string);
  }
  return parsed;
}

/** Whole files only: `v = <expr>` sub-parses are small and rarely repeat. */
const MIN_CACHED = 64;
const RECENT_MAX = 8;
const recent = new Map<string, Promise<Record<string, unknown>>>();
