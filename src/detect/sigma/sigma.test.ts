import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DetectConfigSchema } from '../../model/config.js';
import type { IdentityEvent } from '../../model/identity-event.js';
import { attachRawRecord } from '../../telemetry/raw-record.js';
import { createDetector } from '../engine.js';
import { parseWildcards, unsafeRegex } from './match.js';
import { compileDocuments, fieldOf, type LoadedRules, readRuleDocuments, type SigmaRule } from './rule.js';
import { createSigmaRuleSet } from './ruleset.js';

function load(yaml: string): LoadedRules {
  const out: LoadedRules = { rules: [], correlations: [], unsupported: [] };
  const docs = readRuleDocuments(yaml, 'test.yml', out.unsupported).map((doc) => ({ doc, path: 'test.yml' }));
  for (const d of docs) delete d.doc.__where;
  compileDocuments(docs, out);
  return out;
}

function rule(detection: string, logsource = 'product: aws\n  service: cloudtrail'): SigmaRule {
  const l = load(`title: t\nid: r1\nlogsource:\n  ${logsource}\ndetection:\n${detection}`);
  assert.deepEqual(l.unsupported, []);
  return l.rules[0]!;
}

const unsupported = (yaml: string) => load(yaml).unsupported.map((u) => u.reason);

describe('sigma detection semantics', () => {
  test('maps are AND, lists are OR, matching is case-insensitive and whole-value', () => {
    const r = rule(
      '  sel:\n    eventSource: iam.amazonaws.com\n    eventName: [CreateAccessKey, CreateLoginProfile]\n  condition: sel',
    );
    assert.ok(r.match({ eventSource: 'iam.amazonaws.com', eventName: 'createaccesskey' }));
    assert.ok(r.match({ eventSource: 'IAM.amazonaws.com', eventName: 'CreateLoginProfile' }));
    assert.ok(!r.match({ eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKeys' }));
    assert.ok(!r.match({ eventSource: 's3.amazonaws.com', eventName: 'CreateAccessKey' }));
    assert.deepEqual(r.requires, { field: 'eventName', values: ['createaccesskey', 'createloginprofile'] });
  });

  test('contains, startswith, endswith, all, cased, wildcards and escapes', () => {
    const r = rule(
      "  sel:\n    a|contains|all: [foo, bar]\n    b|startswith: pre\n    c|endswith: '.exe'\n    d: 'x*z?'\n    e|cased: MiXed\n  condition: sel",
    );
    const ok = { a: 'BARfoo', b: 'PREfix', c: 'run.EXE', d: 'xyyzq', e: 'MiXed' };
    assert.ok(r.match(ok));
    assert.ok(!r.match({ ...ok, a: 'foo' }));
    assert.ok(!r.match({ ...ok, d: 'xyyz' }));
    assert.ok(!r.match({ ...ok, e: 'mixed' }));
    const esc = rule("  sel:\n    f: 'a\\*b\\\\c\\d'\n  condition: sel");
    assert.ok(esc.match({ f: 'a*b\\c\\d' }));
    assert.ok(!esc.match({ f: 'aXb\\c\\d' }));
    assert.deepEqual(parseWildcards('\\?x'), [{ lit: '?x' }]);
  });

  test('dotted paths, lists in records, case-insensitive field names, null and exists', () => {
    const r = rule(
      '  sel:\n    objectRef.resource: pods\n    objectRef.subresource: [exec, attach]\n    user.groups: system:serviceaccounts\n  condition: sel',
      'product: kubernetes\n  service: audit',
    );
    const rec = {
      objectRef: { resource: 'pods', subresource: 'exec' },
      user: { groups: ['system:authenticated', 'system:serviceaccounts'] },
    };
    assert.ok(r.match(rec));
    assert.equal(fieldOf({ eventType: 'x' }, 'eventtype'), 'x');
    // Case-insensitive steps, flat dotted keys, and the one character whose lower case is longer.
    assert.equal(fieldOf({ ObjectRef: { Resource: 'pods' } }, 'objectref.resource'), 'pods');
    assert.equal(fieldOf({ 'ObjectRef.Resource': 'flat' }, 'objectref.resource'), 'flat');
    // A key as written wins over one that differs only in case, at any split of the path.
    assert.equal(fieldOf({ 'ObjectRef.Resource': 'flat', objectref: { resource: 'nested' } }, 'objectref.resource'), 'nested');
    assert.equal(fieldOf({ Objectref: { resource: 'cased' }, objectref: { resource: 'exact' } }, 'objectref.resource'), 'exact');
    assert.equal(fieldOf({ İd: 'dotted' }, 'i̇d'), 'dotted');
    assert.equal(fieldOf({ İd: 'dotted' }, 'id'), undefined);
    assert.deepEqual(fieldOf({ a: [{ B: 1 }, { b: 2 }, {}] }, 'a.b'), [1, 2]);
    // What the key fallback and uncased exact matches rely on: lower case lengthens only U+0130, by
    // one unit, and shortens nothing. A runtime whose Unicode data says otherwise fails here.
    const longer: number[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      const n = ch.toLowerCase().length;
      assert.ok(n >= ch.length, `U+${c.toString(16)} shortens in lower case`);
      if (n > ch.length) longer.push(c);
    }
    assert.deepEqual(longer, [0x130]);
    const n = rule('  sel:\n    errorCode: null\n    userIdentity.arn|exists: true\n  condition: sel');
    assert.ok(n.match({ userIdentity: { arn: 'a' } }));
    assert.ok(!n.match({ userIdentity: { arn: 'a' }, errorCode: 'AccessDenied' }));
    assert.ok(!n.match({}));
  });

  test('conditions: not, parentheses, 1 of, all of, them, keywords', () => {
    const r = rule(
      '  sel_a:\n    x: 1\n  sel_b:\n    y: 2\n  filter:\n    z: 3\n  condition: (1 of sel_* and not filter) or all of them',
    );
    assert.ok(r.match({ x: 1 }));
    assert.ok(r.match({ y: '2' }));
    assert.ok(!r.match({ x: 1, z: 3 }));
    const k = rule("  keywords:\n    - 'evil*tool'\n    - mimikatz\n  condition: keywords");
    assert.ok(k.match({ deep: { list: ['run MIMIKATZ now'] } }));
    assert.ok(k.match({ ua: 'evil-ish tool/1.0' }));
    assert.ok(!k.match({ ua: 'curl' }));
    const u = rule('  _private:\n    x: 1\n  sel:\n    y: 2\n  condition: all of them');
    assert.ok(u.match({ y: 2 }));
  });

  test('numbers, cidr, re, base64, base64offset, windash, fieldref', () => {
    const r = rule("  sel:\n    n|gte: 10\n    ip|cidr: [10.0.0.0/8, '2001:db8::/32']\n  condition: sel");
    assert.ok(r.match({ n: '12', ip: '10.2.3.4' }));
    assert.ok(r.match({ n: 10, ip: '2001:db8::1' }));
    assert.ok(!r.match({ n: 9, ip: '10.2.3.4' }));
    assert.ok(!r.match({ n: 11, ip: '11.2.3.4' }));
    const re = rule("  sel:\n    ua|re: '(?i)^python-requests/\\d+'\n  condition: sel");
    assert.ok(re.match({ ua: 'Python-Requests/2.31' }));
    const b = rule("  sel:\n    c|base64offset|contains: 'http://'\n    d|base64: 'abc'\n  condition: sel");
    const enc = Buffer.from('curl xhttp://evil').toString('base64');
    assert.ok(b.match({ c: enc, d: 'YWJj' }));
    const w = rule("  sel:\n    cmd|windash|contains: ' -enc '\n  condition: sel");
    assert.ok(w.match({ cmd: 'powershell /enc AAA' }));
    const f = rule('  sel:\n    a|fieldref: b\n  condition: sel');
    assert.ok(f.match({ a: 'X', b: 'x' }));
    assert.ok(!f.match({ a: 'X', b: 'y' }));
  });

  test('catastrophic regexes, unknown modifiers and logsources are unsupported, never thrown', () => {
    assert.ok(unsafeRegex('(a+)+$'));
    assert.ok(unsafeRegex('(x|y*)*'));
    assert.ok(unsafeRegex('(a)\\1'));
    assert.equal(unsafeRegex('^ab+c(d|e)?[a-z]*$'), undefined);
    const head = 'title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n';
    assert.match(unsupported(`${head}  sel:\n    a|re: '(a+)+$'\n  condition: sel`)[0]!, /nested quantifiers/);
    assert.match(unsupported(`${head}  sel:\n    a|expand: '%x%'\n  condition: sel`)[0]!, /modifier expand/);
    assert.match(unsupported(`${head}  sel:\n    a: 1\n  condition: sel | count() > 5`)[0]!, /aggregation/);
    assert.match(unsupported(`${head}  sel:\n    a: 1\n  condition: nope`)[0]!, /unknown search identifier/);
    assert.match(
      unsupported(
        'title: t\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    a: 1\n  condition: s',
      )[0]!,
      /logsource/,
    );
    assert.match(unsupported('title: [unclosed')[0]!, /YAML/);
    assert.match(unsupported('just text')[0]!, /map/);
  });

  test('multi-document files and action: global collections', () => {
    const l = load(
      'action: global\ntitle: shared\nlogsource:\n  product: github\n  service: audit\ndetection:\n  condition: sel\n---\nid: a\ndetection:\n  sel:\n    action: org.add_member\n---\nid: b\ndetection:\n  sel:\n    action: org.remove_member\n',
    );
    assert.deepEqual(l.unsupported, []);
    assert.deepEqual(
      l.rules.map((r) => r.id),
      ['a', 'b'],
    );
    assert.ok(l.rules[1]!.match({ action: 'org.remove_member' }));
  });
});

function ev(
  n: number,
  source: IdentityEvent['source'] = 'cloudtrail',
  t = Date.parse('2026-03-02T10:00:00Z') + n * 1000,
): IdentityEvent {
  return {
    id: `e${n}`,
    time: new Date(t).toISOString(),
    source,
    identity: { id: 'ci', type: 'iam-role' },
    action: 'x',
    outcome: 'success',
    client: {},
    tags: [],
    raw: {},
  };
}

describe('sigma rule sets', () => {
  const base = (id: string, name: string, action: string) =>
    `title: ${id}\nid: ${id}\nname: ${name}\nlogsource:\n  product: github\n  service: audit\ndetection:\n  sel:\n    action: ${action}\n  condition: sel\n`;

  test('the prefilter checks only rules whose required value the record carries', () => {
    const docs = Array.from({ length: 500 }, (_, i) => base(`r${i}`, `n${i}`, `act.${i}`)).join('---\n');
    const set = createSigmaRuleSet(load(docs));
    const m = set.evaluate(ev(1, 'github-audit'), { action: 'act.42' }, 0);
    assert.deepEqual(
      m.map((x) => x.rule.id),
      ['r42'],
    );
    assert.equal(set.checks, 1);
    // The same record is matched once even when it became several events.
    const rec = { action: 'act.7' };
    assert.equal(set.evaluate(ev(2, 'github-audit'), rec, 0).length, 1);
    assert.equal(set.evaluate(ev(3, 'github-audit'), rec, 0).length, 0);
    // Another source's rules never see it.
    assert.equal(set.evaluate(ev(4, 'okta'), { action: 'act.7' }, 0).length, 0);
  });

  test('product: warden, service: identity rules read the normalised event of any source', () => {
    const set = createSigmaRuleSet(
      load(
        'title: t\nid: w1\nlogsource:\n  product: warden\n  service: identity\ndetection:\n  sel:\n    identity.type: iam-role\n    tags: credential.issued\n  condition: sel\n',
      ),
    );
    const e = { ...ev(1, 'vault'), tags: ['credential.issued'] };
    assert.deepEqual(
      set.evaluate(e, undefined, 0).map((m) => m.rule.id),
      ['w1'],
    );
    assert.equal(set.evaluate(ev(2, 'vault'), undefined, 0).length, 0);
  });

  test('correlations: event_count, value_count, temporal_ordered with group-by and timespan', () => {
    const yaml = [
      base('clone', 'clone', 'git.clone'),
      base('key', 'key', 'public_key.create'),
      base('del', 'del', 'repo.destroy'),
      'title: burst\nid: burst\ncorrelation:\n  type: value_count\n  rules: [clone]\n  group-by: [actor]\n  timespan: 10m\n  condition:\n    field: repo\n    gte: 3\nlevel: high\n',
      'title: many\nid: many\ncorrelation:\n  type: event_count\n  rules: [del]\n  group-by: [actor]\n  timespan: 1h\n  condition:\n    gt: 1\n',
      'title: seq\nid: seq\ncorrelation:\n  type: temporal_ordered\n  rules: [key, del]\n  group-by: [actor]\n  timespan: 5m\n',
    ].join('---\n');
    const l = load(yaml);
    assert.deepEqual(l.unsupported, []);
    const set = createSigmaRuleSet(l);
    const t0 = Date.parse('2026-03-02T10:00:00Z');
    const fired: string[] = [];
    const feed = (i: number, rec: object, at: number) => {
      for (const m of set.evaluate(ev(i, 'github-audit', at), rec, at)) fired.push(`${m.rule.id}:${m.events.length}`);
    };
    feed(1, { action: 'git.clone', actor: 'bot', repo: 'a' }, t0);
    feed(2, { action: 'git.clone', actor: 'bot', repo: 'a' }, t0 + 1000);
    feed(3, { action: 'git.clone', actor: 'other', repo: 'b' }, t0 + 2000);
    feed(4, { action: 'git.clone', actor: 'bot', repo: 'b' }, t0 + 3000);
    assert.deepEqual(fired, []);
    feed(5, { action: 'git.clone', actor: 'bot', repo: 'c' }, t0 + 4000);
    assert.deepEqual(fired, ['burst:4']);
    // Out of the timespan: no burst.
    feed(6, { action: 'git.clone', actor: 'late', repo: 'a' }, t0);
    feed(7, { action: 'git.clone', actor: 'late', repo: 'b' }, t0 + 11 * 60_000);
    feed(8, { action: 'git.clone', actor: 'late', repo: 'c' }, t0 + 22 * 60_000);
    assert.deepEqual(fired, ['burst:4']);
    // Base rules of a correlation without `generate` raise nothing alone; the order matters.
    feed(9, { action: 'repo.destroy', actor: 'bot' }, t0 + 30 * 60_000);
    feed(10, { action: 'public_key.create', actor: 'bot' }, t0 + 31 * 60_000);
    feed(11, { action: 'repo.destroy', actor: 'bot' }, t0 + 32 * 60_000);
    assert.deepEqual(fired, ['burst:4', 'many:2', 'seq:2']);
  });
});

describe('sigma rules in the detector', () => {
  const yaml =
    'title: Deploy key added\nid: dk1\nlevel: high\ntags: [attack.persistence, attack.t1098.001]\nlogsource:\n  product: github\n  service: audit\ndetection:\n  sel:\n    action: public_key.create\n  condition: sel\n';
  const event = (n: number, at: string) => {
    const e = { ...ev(n, 'github-audit', Date.parse(at)), identity: { id: 'svc-build', type: 'user' as const } };
    attachRawRecord(e, { action: 'public_key.create', actor: 'svc-build' });
    return e;
  };
  test('a match is an alert with the rule as analytic, episodes dedup, learnUntil and exceptions apply', () => {
    const run = (options: Parameters<typeof createDetector>[0]) => {
      const d = createDetector({ detections: [], sigma: createSigmaRuleSet(load(yaml)), ...options });
      const out = [
        ...d.process(event(1, '2026-03-02T10:00:00Z')),
        ...d.process(event(2, '2026-03-02T10:05:00Z')),
        ...d.process(event(3, '2026-03-03T10:00:00Z')),
      ];
      return [...out, ...d.finish()];
    };
    const alerts = run({});
    assert.deepEqual(
      alerts.map((a) => [a.detectionId, a.title, a.severity, a.count]),
      [
        ['dk1', 'Deploy key added', 'high', 2],
        ['dk1', 'Deploy key added', 'high', 1],
      ],
    );
    assert.deepEqual(alerts[0]!.attacks, [
      { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials', tactic: 'Persistence' },
    ]);
    assert.deepEqual(
      alerts[0]!.evidences.map((e) => e.id),
      ['e1', 'e2'],
    );
    assert.equal(run({ learnUntil: Date.parse('2026-03-03T00:00:00Z') }).length, 1);
    const config = DetectConfigSchema.parse({ exceptions: [{ detections: ['dk1'], identity: 'svc-*' }] });
    assert.equal(run({ config }).length, 0);
    assert.equal(run({ severity: { dk1: 'low' } })[0]!.severity, 'low');
  });
});
