/**
 * Test support for the parser tests and test/telemetry-fuzz.test.ts, not used by Warden itself:
 * collecting a parser's events, walking and damaging JSON records, and the values and time stamps
 * several tests share. Each test keeps its own specific values and adds them to these. (Not named
 * `test-*.ts`: `node --test` would run that as a test file.)
 */
import assert from 'node:assert/strict';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import type { EventParser, RecordOrigin } from '../types.js';

type Path = Array<string | number>;

/**
 * The events `parser` makes of `record`; a rejection fails the test.
 * @example const events = pushEvents(createOktaParser(), record, { file: 'okta.jsonl', line: 7 });
 */
export function pushEvents(parser: EventParser, record: unknown, origin: RecordOrigin): IdentityEvent[] {
  const out = parser.push(record, origin);
  if (!Array.isArray(out)) assert.fail(`rejected: ${JSON.stringify(out)}`);
  return out;
}

/**
 * The one event `parser` makes of `record`; a rejection or any other number of events fails the test.
 * @example const e = pushOneEvent(parser, samples[0], { file: 'trail.json', line: 7 });
 */
export function pushOneEvent(parser: EventParser, record: unknown, origin: RecordOrigin): IdentityEvent {
  const out = pushEvents(parser, record, origin);
  assert.equal(out.length, 1);
  return out[0]!;
}

/**
 * The `n`-th of `events` with `action`; none fails the test.
 * @example const e = findAction(events, 'iam:CreateAccessKey');
 */
export function findAction(events: readonly IdentityEvent[], action: string, n = 0): IdentityEvent {
  const found = events.filter((e) => e.action === action);
  assert.ok(found[n], `no sample for ${action}`);
  return found[n];
}

/**
 * A nested field of an untyped record, or undefined where the path leaves objects.
 * @example dig(record, 'request', 'path')
 */
export function dig(o: unknown, ...path: string[]): unknown {
  let v = o;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * Every path into a JSON value (object keys and array indexes), the root excluded, for systematic damage.
 * @example paths({ a: [1] }) // [['a'], ['a', 0]]
 */
export function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  const entries: Array<[string | number, unknown]> = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : v && typeof v === 'object'
      ? Object.entries(v)
      : [];
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    paths(x, [...prefix, k], out);
  }
  return out;
}

/**
 * A deep copy of `record` with `value` at `path`; `undefined` deletes the key instead.
 * @example replaceAt({ a: { b: 1 } }, ['a', 'b'], null) // { a: { b: null } }
 */
export function replaceAt(record: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(record) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  if (value === undefined) delete parent[path[path.length - 1]!];
  else parent[path[path.length - 1]!] = value;
  return copy;
}

/** Values no field expects (`undefined` deletes the field); the damage tests add their format's own. */
export const HOSTILE_VALUES: readonly unknown[] = [
  undefined,
  null,
  0,
  -1,
  1e308,
  '',
  'x'.repeat(200_000),
  [],
  {},
  true,
  [null],
  '\u0000\ud800',
];

/**
 * Puts every value of `hostile` at every path of every record: `parser` must never throw, must detect
 * without throwing, and must give schema-valid events or a named reason.
 * @example assertHostileValuesSurvive(createOktaParser(), sampleRecords(9).slice(0, 8), HOSTILE, origin);
 */
export function assertHostileValuesSurvive(
  parser: EventParser,
  records: readonly unknown[],
  hostile: readonly unknown[],
  origin: RecordOrigin,
): void {
  for (const record of records) {
    for (const path of paths(record)) {
      for (const value of hostile) {
        const damaged = replaceAt(record, path, value);
        parser.detect(damaged);
        const out = parser.push(damaged, origin);
        if (Array.isArray(out)) for (const e of out) assert.ok(IdentityEventSchema.safeParse(e).success, JSON.stringify(path));
        else assert.ok(out.reject.length > 0);
      }
    }
  }
}

/**
 * The classic `rand()` linear congruential generator in floating point (not mulberry32), for the fuzz
 * tests whose mutation streams were recorded with it.
 * @example const rnd = lcg(99); rnd() // a float in [0, 1)
 */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A copy of `record` with 1 to 4 edits, each on a field at most `maxDepth` objects down (descending
 * with probability `descend`): deleted a quarter of the time, else set to one of `weird`. One time in
 * fifty the whole record is a value of `weird` instead.
 * @example mutateNested(record, lcg(7), [null, 0, ''], 3, 0.5)
 */
export function mutateNested(
  record: unknown,
  rnd: () => number,
  weird: readonly unknown[],
  maxDepth: number,
  descend: number,
): unknown {
  const value = () => weird[Math.floor(rnd() * weird.length)];
  const copy = structuredClone(record);
  const edits = 1 + Math.floor(rnd() * 4);
  for (let n = 0; n < edits; n++) {
    let node = copy as Record<string, unknown>;
    for (let depth = 0; depth < maxDepth; depth++) {
      if (typeof node !== 'object' || node === null) break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[Math.floor(rnd() * keys.length)] as string;
      const child = node[k];
      if (typeof child === 'object' && child !== null && rnd() < descend) {
        node = child as Record<string, unknown>;
        continue;
      }
      if (rnd() < 0.25) delete node[k];
      else node[k] = value();
      break;
    }
  }
  return rnd() < 0.02 ? value() : copy;
}

/**
 * Pushes `n` mutated samples (round robin) through `parser`: detect and push never throw, no rejection
 * is `internal-error`, every tenth record's events are schema-valid, and more than half the records
 * still make events.
 * @example assertFuzzSurvives(parser, samples, (r) => mutateNested(r, rnd, WEIRD, 3, 0.5), 20_000);
 */
export function assertFuzzSurvives(
  parser: EventParser,
  samples: readonly unknown[],
  mutate: (record: unknown) => unknown,
  n: number,
): void {
  let produced = 0;
  for (let i = 0; i < n; i++) {
    const r = mutate(samples[i % samples.length]);
    parser.detect(r);
    const out = parser.push(r, { line: i });
    if (Array.isArray(out)) {
      produced++;
      if (i % 10 === 0) for (const e of out) IdentityEventSchema.parse(e);
    } else assert.notEqual(out.reject, 'internal-error', out.detail);
  }
  assert.ok(produced > n / 2);
}

/**
 * RFC 3339 stamps for checking a parser's fast time path against isoTime: valid ones with every
 * fraction length, days and times that roll over, malformed ones, and 2,000 spread over 60 years.
 * @example for (const t of rfc3339Stamps()) assert.equal(rfc3339Time(t), isoTime(t), t);
 */
export function rfc3339Stamps(): string[] {
  const stamps = ['2025-06-05T16:10:22Z', '2025-06-05T16:10:22.5Z', '2025-06-05T16:10:22.29Z', '2024-02-29T23:59:59.999999999Z'];
  stamps.push(
    '2025-02-30T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-06-05T24:00:00Z',
    '2025-06-05T16:10:22.Z',
    '2025-06-05T16:10:2xZ',
  );
  stamps.push('2025-06-05T16:10:22.123+02:00', '2025-06-05 16:10:22Z', '0000-01-01T00:00:00Z', '2025-06-05T16:10:22.1a3Z');
  for (let i = 0; i < 2000; i++) {
    const d = new Date(Date.UTC(1990 + (i % 60), i % 12, 1 + (i % 31), i % 24, (i * 7) % 60, (i * 13) % 60, i % 1000));
    stamps.push(d.toISOString().slice(0, 19) + (i % 4 === 0 ? '' : '.' + String(i * 7919).slice(0, 1 + (i % 9))) + 'Z');
  }
  return stamps;
}
