/**
 * Sigma conditions: `and`, `or`, `not` (precedence not > and > or), parentheses, and the quantified
 * forms `1 of x*`, `all of x*`, `1 of them`, `all of them` (`any of` is read as `1 of`). `them`
 * leaves out identifiers starting with an underscore, as the specification says.
 */
import { Unsupported } from './match.js';

export type Cond =
  | { op: 'ref'; name: string }
  | { op: 'and' | 'or'; args: Cond[] }
  | { op: 'not'; arg: Cond }
  | { op: 'of'; all: boolean; names: string[] };

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|[^\s()]+)/y;
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (m === null) break;
    out.push(m[1]!);
  }
  if (s.slice(re.lastIndex).trim() !== '') throw new Unsupported('condition could not be read');
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

/** Parses a condition against the rule's search identifiers; unknown names are errors. */
export function parseCondition(text: string, identifiers: readonly string[]): Cond {
  if (/\|/.test(text))
    throw new Unsupported('aggregation in condition (Sigma v1 "| count()") is not supported; use a correlation rule');
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  /** Operands of `op` read by `operand`, left to right: `or` over `and` terms, `and` over factors. */
  const chain = (op: 'and' | 'or', operand: () => Cond): Cond => {
    const args = [operand()];
    while (peek() === op) {
      i++;
      args.push(operand());
    }
    return args.length === 1 ? args[0]! : { op, args };
  };
  const expr = (): Cond => chain('or', term);
  const term = (): Cond => chain('and', factor);
  const factor = (): Cond => {
    const t = tokens[i];
    if (t === undefined) throw new Unsupported('condition ends too early');
    const lower = t.toLowerCase();
    if (lower === 'not') {
      i++;
      return { op: 'not', arg: factor() };
    }
    if (t === '(') {
      i++;
      const inner = expr();
      if (tokens[i] !== ')') throw new Unsupported('unbalanced parentheses in condition');
      i++;
      return inner;
    }
    if ((lower === '1' || lower === 'all' || lower === 'any') && tokens[i + 1]?.toLowerCase() === 'of') {
      const target = tokens[i + 2];
      if (target === undefined) throw new Unsupported('"of" without a target');
      i += 3;
      const names =
        target.toLowerCase() === 'them'
          ? identifiers.filter((n) => !n.startsWith('_'))
          : identifiers.filter((n) => globMatch(target, n));
      if (names.length === 0) throw new Unsupported(`no search identifier matches ${target}`);
      return { op: 'of', all: lower === 'all', names };
    }
    if (/^\d+$/.test(lower) && tokens[i + 1]?.toLowerCase() === 'of') throw new Unsupported(`"${t} of" is not supported`);
    if (lower === 'and' || lower === 'or' || t === ')') throw new Unsupported(`unexpected ${t} in condition`);
    if (!identifiers.includes(t)) throw new Unsupported(`condition names unknown search identifier ${t}`);
    i++;
    return { op: 'ref', name: t };
  };
  const c = expr();
  if (i !== tokens.length) throw new Unsupported(`unexpected ${tokens[i]} in condition`);
  return c;
}

/** Evaluates a condition, asking `sel` for each search identifier's result (lazily, short-circuit). */
export function evalCondition(c: Cond, sel: (name: string) => boolean): boolean {
  switch (c.op) {
    case 'ref':
      return sel(c.name);
    case 'and':
      return c.args.every((a) => evalCondition(a, sel));
    case 'or':
      return c.args.some((a) => evalCondition(a, sel));
    case 'not':
      return !evalCondition(c.arg, sel);
    case 'of':
      return c.all ? c.names.every(sel) : c.names.some(sel);
  }
}
