import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { buildKeywordAutomaton, collectKeywords, findKeywords } from './aho-corasick.js';
import { createSecretScanner } from './engine.js';
import { createRandom, expandExample } from './examples.js';
import { loadSecretRules } from './load-rules.js';
import { isPlaceholder } from './placeholders.js';
import { fingerprint, githubHashedToken, redact, vaultAuditHmac } from './redact.js';
import { base62Crc, crc32Base62Valid, looksLikeJwt, shannonEntropy } from './validators.js';

const rnd = createRandom(42);
const gen = (t: string) => expandExample(t, rnd);

describe('keyword automaton', () => {
  test('finds every occurrence, overlapping and case-insensitive, with end offsets', () => {
    const a = buildKeywordAutomaton(['he', 'she', 'his', 'hers']);
    const hits: Array<[string, number]> = [];
    findKeywords(a, Buffer.from('uSHErs'), (id, end) => hits.push([a.keywords[id]!, end]));
    assert.deepEqual(hits.sort(), [
      ['he', 4],
      ['hers', 6],
      ['she', 4],
    ]);
  });

  test('matches the naive search on random text', () => {
    const words = ['key', 'token', 'akia', 'ghp_', 'secret', 'ey'];
    const a = buildKeywordAutomaton(words);
    const r = createRandom(3);
    const text = Array.from({ length: 20000 }, () => 'kteyoasgihp_ncrKET'[Math.floor(r() * 18)]).join('');
    const got: string[] = [];
    findKeywords(a, Buffer.from(text), (id, end) => got.push(`${a.keywords[id]}@${end}`));
    const want: string[] = [];
    const lower = text.toLowerCase();
    for (const w of words) for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + 1)) want.push(`${w}@${i + w.length}`);
    assert.deepEqual(got.sort(), want.sort());
  });

  test('collectKeywords gives findKeywords hits in the same order, growing its buffer as needed', () => {
    const words = ['key', 'token', 'akia', 'ghp_', 'secret', 'ey', 'y'];
    const a = buildKeywordAutomaton(words);
    const r = createRandom(5);
    const text = Buffer.from(Array.from({ length: 20000 }, () => 'kteyoasgihp_ncrKET'[Math.floor(r() * 18)]).join(''));
    const want: number[] = [];
    findKeywords(a, text, (id, end) => want.push(id, end));
    const hits = { buf: new Int32Array(4) };
    const n = collectKeywords(a, text, hits);
    assert.ok(want.length > 4);
    assert.deepEqual([...hits.buf.subarray(0, n)], want);
  });
});

describe('validators and keys', () => {
  test('CRC32 checksum accepts generated GitHub tokens and rejects a one-character change', () => {
    const t = gen('@@crc:ghp_@@');
    assert.ok(crc32Base62Valid(t));
    const flipped = t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    assert.ok(!crc32Base62Valid(flipped));
    assert.equal(base62Crc(0), '000000');
  });

  test('entropy, JWT structure', () => {
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.ok(looksLikeJwt(gen('@@jwt@@')));
    assert.ok(!looksLikeJwt('a.b.c'));
  });

  test('redaction reveals at most a sixth of the secret and never its end', () => {
    for (const secret of ['abcdefgh', gen('@@crc:ghp_@@'), gen('@@b64:40@@'), 'x']) {
      const p = redact(secret);
      const shown = p.replace(/\*+$/, '');
      assert.ok(shown.length <= secret.length / 6, `${p} shows too much`);
      assert.ok(!p.includes(secret.slice(-4)) || secret.length < 8);
    }
  });

  test('credential keys match what the vendors log', () => {
    // GitHub audit log: hashed_token = base64(sha256(token)); Vault: hmac-sha256:hex(HMAC(salt, token)).
    assert.equal(githubHashedToken('abc'), createHash('sha256').update('abc').digest('base64'));
    assert.equal(fingerprint('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.match(vaultAuditHmac('hvs.x', 'salt'), /^hmac-sha256:[0-9a-f]{64}$/);
    assert.notEqual(vaultAuditHmac('hvs.x', 'salt'), vaultAuditHmac('hvs.x', 'pepper'));
  });

  test('placeholders', () => {
    for (const p of [
      'AKIAIOSFODNN7EXAMPLE',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: literal template syntax is what is tested
      '${TOKEN}',
      '<your-api-key>',
      '{{ secrets.TOKEN }}',
      'xxxxxxxxxxxx',
      '********',
      '$API_KEY',
      'process.env.TOKEN',
    ]) {
      assert.ok(isPlaceholder(p), p);
    }
    for (const real of [gen('@@crc:ghp_@@'), gen('@@b64:40@@'), gen('@@pw:16@@')]) assert.ok(!isPlaceholder(real), real);
  });
});

describe('engine', () => {
  const scanner = createSecretScanner({ rules: loadSecretRules(), vaultAuditSalt: 'audit-salt' });
  const token = gen('@@crc:ghp_@@');

  test('reports line and column of the secret itself, on any line', () => {
    const text = `a\nb\n  x = "${token}"\n`;
    const [f] = scanner.scanBuffer(Buffer.from(text), 'f.py').findings;
    assert.equal(f?.line, 3);
    assert.equal(f?.column, 8);
  });

  test('one secret repeated on a line is one finding per occurrence, never duplicated by overlapping windows', () => {
    const text = `ghp ghp_ tokens: ${token} ${token}\n`;
    const found = scanner.scanBuffer(Buffer.from(text), 'f').findings.filter((f) => f.ruleId === 'secret.github.classic-pat');
    assert.equal(found.length, 2);
    assert.notEqual(found[0]!.column, found[1]!.column);
  });

  test('warden:ignore silences a line, or only the rules it names', () => {
    const all = scanner.scanBuffer(Buffer.from(`t = "${token}" # warden:ignore\n`), 'f');
    assert.equal(all.findings.length, 0);
    assert.equal(all.suppressed, 1);
    const other = scanner.scanBuffer(Buffer.from(`t = "${token}" # warden:ignore secret.aws.*\n`), 'f');
    assert.equal(other.findings.length, 1);
    const named = scanner.scanBuffer(Buffer.from(`t = "${token}" # warden:ignore secret.github.classic-pat\n`), 'f');
    assert.equal(named.findings.length, 0);
  });

  test('an AWS key id alone is one finding; with its secret nearby, one critical pair', () => {
    const id = gen('@@lit:AK|IA@@@@b32:16@@');
    const secret = gen('@@b64:40@@');
    const alone = scanner.scanBuffer(Buffer.from(`key = ${id}\n`), 'f').findings;
    assert.equal(alone.length, 1);
    assert.equal(alone[0]!.severity, 'high');
    const pair = scanner.scanBuffer(
      Buffer.from(`aws_secret_access_key = ${secret}\n\naws_access_key_id = ${id}\n`),
      'f',
    ).findings;
    assert.equal(pair.length, 1, JSON.stringify(pair));
    assert.equal(pair[0]!.severity, 'critical');
    assert.equal(pair[0]!.fingerprint, fingerprint(secret));
    assert.deepEqual(pair[0]!.credentialKey, { type: 'aws-access-key-id', value: id });
  });

  test('a scanner with no rules (posture only) reports nothing and suppresses nothing', () => {
    const text = Buffer.from(`t = "${token}"\nu = "${token}" # warden:ignore\n`);
    assert.equal(scanner.scanBuffer(text, 'f').findings.length, 1, 'the same text has a finding with the rules');
    const none = createSecretScanner({ rules: [] }).scanBuffer(text, 'f');
    assert.deepEqual(none, { findings: [], suppressed: 0 });
  });

  test('a file past the whole-decode size gives the same findings, lines and columns as a small one', () => {
    const body = `x = 1\napi_key = "${gen('@@Aa0:24@@')}"\nt = "${token}"\n`;
    const small = scanner.scanBuffer(Buffer.from(body), 'f').findings;
    assert.equal(small.length, 2);
    // 300 KiB of clean lines first: the large file's windows are decoded one by one.
    const pad = 'const value = compute(input);\n'.repeat(10_240);
    const large = scanner.scanBuffer(Buffer.from(pad + body), 'f').findings;
    assert.deepEqual(
      large.map((f) => [f.ruleId, f.line - 10_240, f.column, f.fingerprint]),
      small.map((f) => [f.ruleId, f.line, f.column, f.fingerprint]),
    );
  });

  test('invalid UTF-8 and NUL-free binary-ish bytes around a secret do not stop it being found', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 10]),
      Buffer.from(`k=${token}\n`),
      Buffer.from([0xe2, 0x82]),
    ]);
    const [f] = scanner.scanBuffer(bytes, 'f').findings;
    assert.equal(f?.line, 2);
  });
});

describe('overlapping rules', () => {
  const scanner = createSecretScanner({ rules: loadSecretRules() });
  test('a provider rule wins over a generic rule on the same secret', () => {
    const key = expandExample('@@lit:sk-|proj-@@@@Aa0:60@@T3Blb@@Aa0:20@@', createRandom(4));
    const line = Buffer.from(`api_key = "${key}"\n`);
    // The generic rule on its own does match this line, so the full set must be dropping it.
    const genericOnly = createSecretScanner({ rules: loadSecretRules().filter((r) => r.id.startsWith('secret.generic.')) });
    assert.ok(genericOnly.scanBuffer(line, 'f').findings.length > 0);
    const ids = scanner.scanBuffer(line, 'f').findings.map((f) => f.ruleId);
    assert.ok(ids.length >= 1);
    assert.ok(!ids.some((id) => id.startsWith('secret.generic.')), ids.join());
  });
});

describe('keyword context (window.needs)', () => {
  const all = loadSecretRules();
  // A rule whose pattern does not itself ask for `=`: what it finds shows which occurrences opened a window.
  const base = all.find((r) => r.id === 'secret.generic.password-assignment')!;
  const probe = (needs: string[], needsWithin?: number, multiline = false) =>
    createSecretScanner({
      rules: [
        {
          ...base,
          id: 'secret.test.probe',
          keywords: ['zqx'],
          regex: /zqx(?<secret>[A-Za-z0-9]{12})/dg,
          validate: [],
          placeholderCheck: false,
          window: { before: 0, after: 64, multiline, needs, ...(needsWithin === undefined ? {} : { needsWithin }) },
        },
      ],
    });
  const value = () => gen('@@Aa0:12@@');
  const found = (s: ReturnType<typeof probe>, text: string) => s.scanBuffer(Buffer.from(text), 'f').findings.length;

  test('an occurrence opens a window only with a character of every needed set after it', () => {
    const v = value();
    assert.equal(found(probe([]), `zqx${v}\n`), 1, 'without needs the pattern alone decides');
    assert.equal(found(probe(['=']), `zqx${v}\n`), 0);
    assert.equal(found(probe(['=']), `zqx${v} = 1\n`), 1);
    assert.equal(found(probe(['=']), `a = zqx${v}\n`), 0, 'a needed character before the keyword does not count');
    assert.equal(found(probe(['=', '"\'']), `zqx${v} = 1\n`), 0, 'every set must be met');
    assert.equal(found(probe(['=', '"\'']), `zqx${v} = '1'\n`), 1);
    assert.equal(found(probe([':=']), `zqx${v}: 1\n`), 1, 'any character of a set meets it');
  });

  test('the needed characters are looked for on the keyword line, within the window or needsWithin', () => {
    const v = value();
    assert.equal(found(probe(['=']), `zqx${v}\n=\n`), 0, 'not on the next line');
    assert.equal(found(probe(['='], undefined, true), `zqx${v}\n=\n`), 1, 'a multiline rule looks past the line');
    assert.equal(found(probe(['=']), `zqx${v}${' '.repeat(80)}=\n`), 0, 'not past the window (after: 64)');
    assert.equal(found(probe(['='], 20), `zqx${v} =\n`), 1);
    assert.equal(found(probe(['='], 10), `zqx${v} =\n`), 0, 'not past needsWithin');
  });

  test('many occurrences on one line are each decided, in order, whatever the line length', () => {
    const values = Array.from({ length: 200 }, () => value());
    // The needed character comes after every other occurrence only, each farther than the window (64) from the next.
    const line = values.map((v, i) => `zqx${v}${i % 2 === 0 ? ' =' : ''}${' '.repeat(70)}`).join('');
    const got = probe(['=']).scanBuffer(Buffer.from(`${line}\n`), 'f').findings;
    assert.equal(got.length, 100);
    const none = `${'zqx'.repeat(50_000)}\n`;
    assert.equal(found(probe(['=']), none), 0);
  });

  test('the built-in needs never drop a finding of their rules examples', () => {
    const without = createSecretScanner({
      rules: all.map((r) => ({ ...r, window: { ...r.window, needs: [], needsWithin: undefined } })),
    });
    const withNeeds = createSecretScanner({ rules: all });
    const rulesWithNeeds = all.filter((r) => (r.window.needs ?? []).length > 0);
    assert.ok(rulesWithNeeds.length >= 5, 'the common-word rules declare what they need');
    const texts: string[] = [];
    for (const r of rulesWithNeeds)
      for (const seed of [1, 2, 3])
        for (const t of [...r.examples.positive, ...r.examples.negative]) texts.push(expandExample(t, createRandom(seed)));
    // Each example alone, and all of them in one file (hits of one rule near another's).
    for (const text of [...texts, texts.join('\n')]) {
      const a = withNeeds.scanBuffer(Buffer.from(text, 'latin1'), 'example.yaml').findings;
      const b = without.scanBuffer(Buffer.from(text, 'latin1'), 'example.yaml').findings;
      assert.deepEqual(a, b, text.slice(0, 200));
    }
  });
});
