import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments, parseDocument, parse as parseYaml, type Scalar, type YAMLMap } from 'yaml';
import { createPostureContext } from './context.js';
import { fixtureSamples } from './fast-path-agreement.js';
import { loadPostureRules } from './load-rules.js';
import { documentHasError, firstDocumentError, loadFast, quietOn, YAML_CORE } from './yaml-fast.js';

describe('yaml-fast', () => {
  test('plain scalars resolve as the yaml package resolves them', () => {
    const scalars = [
      '~',
      'null',
      'Null',
      'NULL',
      'nULL',
      '',
      'true',
      'True',
      'TRUE',
      'tRUE',
      'yes',
      'no',
      'on',
      'off',
      'y',
      '0',
      '-0',
      '+12',
      '012',
      '0o17',
      '0o8',
      '0x1F',
      '0X1F',
      '-0x1',
      '0b101',
      '1_000',
      '12345678901234567890',
      '1.0',
      '1.',
      '.5',
      '-.5',
      '1e3',
      '1E+3',
      '1.5e-3',
      '.5e3',
      '.inf',
      '-.Inf',
      '+.INF',
      '.nan',
      '.NaN',
      'nan',
      '012345678901',
      '1:20',
      '2001-12-14',
      '0.1.2',
      '--1',
      'x',
    ];
    for (const s of scalars) {
      const text = `v: ${s}\n${s === '' ? 'k' : s}: 1\n`;
      const fast = loadFast(text, { schema: YAML_CORE });
      assert.ok(fast.ok, s);
      const value = fast.docs[0] as Record<string, unknown>;
      assert.deepEqual(value.v, (parseYaml(text) as Record<string, unknown>).v, s);
      // Keys as the AST tree spells them: String() of the resolved scalar.
      const key = (parseDocument(text).contents as YAMLMap<Scalar>).items[1]!.key.value;
      assert.deepEqual(
        Object.keys(value).filter((k) => k !== 'v'),
        [String(key)],
        s,
      );
    }
  });

  test('sends to the exact pass what js-yaml could read differently', () => {
    const why = (text: string, anchors?: 'none') => {
      const r = loadFast(text, anchors ? { schema: YAML_CORE, anchors } : { schema: YAML_CORE });
      return r.ok ? 'ok' : r.why;
    };
    assert.equal(why('a: 1\n'), 'ok');
    assert.equal(why('%YAML 1.1\n---\na: yes\n'), 'directive');
    assert.equal(why('? [a]\n: 1\n'), 'key');
    assert.equal(why('[a]: 1\n'), 'key');
    assert.equal(why('x: &k a\n*k : 1\n'), 'key');
    assert.equal(why('a: &x 1\nb: *x\n'), 'ok');
    assert.equal(why('a: &x 1\nb: *x\n', 'none'), 'anchor');
    assert.equal(why('a:\n  - &x\n    b: 1\n', 'none'), 'anchor');
    // An ampersand that is no anchor costs nothing.
    assert.equal(why('cmd: "a && b"\n', 'none'), 'ok');
    assert.equal(why('a: 1\na: 2\n'), 'error');
    assert.equal(why('a: !Ref x\n'), 'error');
    assert.equal(why('a: [\n'), 'error');
  });

  test('quietOn tells whether a check reports, and counts a throw as not quiet', () => {
    const ctx = createPostureContext('x.yaml', 'a: 1\n', loadPostureRules()).ctx;
    assert.equal(
      quietOn(ctx, () => {}),
      true,
    );
    assert.equal(
      quietOn(ctx, (p) => p.report({ ruleId: 'any', line: 1, evidence: '' })),
      false,
    );
    assert.equal(
      quietOn(ctx, (p) => p.malformed('bad')),
      false,
    );
    assert.equal(
      quietOn(ctx, () => {
        throw new Error('x');
      }),
      false,
    );
    // A check that swallows the probe's throw is still heard.
    assert.equal(
      quietOn(ctx, (p) => {
        try {
          p.report({ ruleId: 'any', line: 1, evidence: '' });
        } catch {}
      }),
      false,
    );
  });

  test('documentHasError finds the error of one document, alone or from a prefix', () => {
    assert.equal(documentHasError('a: 1\n---\nb: [\n', 10), true);
    assert.equal(documentHasError('a: [\n---\nb: 1\n', 10), false);
    // `{{ x }}` alone is a valid flow mapping; Helm's usual lines are not.
    assert.equal(documentHasError('a: 1\nb: {{ x }}\nc: 2\nd: 3\n', 8), false);
    assert.equal(documentHasError('a: 1\nb: {{ x }} y\nc: 2\nd: 3\n', 8), true);
    assert.equal(documentHasError('a: 1\nb:\n  {{- include "l" . | nindent 4 }}\nc: 2\nd: 3\n', 12), true);
    assert.equal(documentHasError('{{- if .x }}\nkind: Role\nrules: []\n', 2), true);
    assert.equal(documentHasError('a: "x\n  y"\nb: 2\n', 3), false);
    assert.equal(documentHasError('%TAG ! tag:x,2000:\n---\na: [\n', 25), false);
    assert.equal(documentHasError('a: 1\n', undefined), false);
  });

  test('documentHasError never claims an error the whole stream lacks', () => {
    // Fixtures cut, doubled and spliced with Helm expressions: claim ⇒ yaml reports an error.
    const texts = ['kubernetes', 'github-actions', 'gitlab-ci', 'cloudformation'].flatMap((d) =>
      fixtureSamples(d).map((s) => s.text),
    );
    const inserts = ['{{ x }}', '{{- include "l" . | nindent 4 }}\n', '"', '[', ': ', '\n  ', '\n- ', '|\n'];
    let claims = 0;
    for (const [i, text] of texts.entries()) {
      for (let k = 0; k < 12; k++) {
        const at = (i * 7919 + k * 104729) % (text.length + 1);
        const mutated = text.slice(0, at) + inserts[(i + k) % inserts.length] + text.slice(at);
        const errs = parseAllDocuments(mutated, { prettyErrors: false, uniqueKeys: false });
        const truth = Array.isArray(errs) && errs.some((d) => d.errors.length > 0);
        for (const probe of [at, Math.max(0, at - 40), Math.min(mutated.length - 1, at + 40)]) {
          const claim = documentHasError(mutated, probe);
          if (claim) claims++;
          assert.ok(!claim || truth, `claimed an error in\n${mutated}`);
        }
      }
    }
    assert.ok(claims > 200, `${claims}`);
  });
  test('firstDocumentError gives the error the whole stream gives, and stops at the broken document', () => {
    // The reference: the first error of the first broken document of parseAllDocuments.
    const reference = (text: string): string | null => {
      const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
      const broken = Array.isArray(docs) ? docs.find((d) => d.errors.length > 0) : undefined;
      return broken ? broken.errors[0]!.message : null;
    };
    // An unclosed quote cut by the next `---` (the `yaml` lexer reads it otherwise when the text simply ends there).
    const stream = 'a: 1\n---\nb: 2\n"open\n---\nc: [\n---\nd: 4\n';
    assert.equal(firstDocumentError(stream)?.message, reference(stream));
    assert.equal(firstDocumentError('a: 1\n---\nb: 2\n'), null);
    assert.equal(firstDocumentError(''), null);
    for (const t of ['%YAML 1.1\n---\na: [\n', 'a: 1\n...\nb: [\n', 'a: "x\r\n---\nb: 1\r\n']) {
      assert.notEqual(reference(t), null);
      assert.equal(firstDocumentError(t)?.message, reference(t));
    }
    const texts = ['kubernetes', 'github-actions', 'gitlab-ci', 'cloudformation'].flatMap((d) =>
      fixtureSamples(d).map((s) => s.text),
    );
    const inserts = ['X=1\n', '"open\n', '[', ': ', '\n  ', '\n- ', '|\n', '---\n', '...\n', '\t'];
    let broken = 0;
    for (const [i, text] of texts.entries()) {
      for (let k = 0; k < 12; k++) {
        const at = (i * 7919 + k * 104729) % (text.length + 1);
        const mutated = text.slice(0, at) + inserts[(i + k) % inserts.length] + text.slice(at);
        const want = reference(mutated);
        if (want !== null) broken++;
        assert.equal(firstDocumentError(mutated)?.message ?? null, want, mutated);
      }
    }
    assert.ok(broken > 100, `${broken}`);
  });
});
