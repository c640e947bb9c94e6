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
