import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments, parseDocument, parse as parseYaml, type Scalar, type YAMLMap } from 'yaml';
import { createRandom } from '../secrets/examples.js';
import { parseTaggedDocument } from './cloudformation.js';
import { createPostureContext } from './context.js';
import { fixtureSamples, variants } from './fast-path-agreement.js';
import { analyzePosture } from './index.js';
import { loadPostureRules } from './load-rules.js';
import {
  AstTree,
  certainYamlError,
  documentHasError,
  firstDocumentError,
  loadFast,
  PNode,
  PositionedTree,
  parseFastCore,
  parseFastPositioned,
  parsePositionedTree,
  quietOn,
  type Tree,
  YAML_CORE,
} from './yaml-fast.js';

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
  test('PositionedTree reads every node as AstTree does, with the same start lines', () => {
    // Everything a check can ask of a node, walked in both trees at once; lines of empty values are not
    // answered (they throw), every other line must match the yaml package's source ranges.
    const describeNode = (t: Tree, n: unknown, depth: number): unknown => {
      if (depth > 40) return '…';
      let line: number | string;
      try {
        line = t.line(n);
      } catch {
        line = 'unplaced';
      }
      if (t.isMap(n)) {
        return {
          line,
          map: t.entries(n).map((e) => {
            let keyLine: number | string;
            try {
              keyLine = t.line(e.keyNode);
            } catch {
              keyLine = 'unplaced';
            }
            return [e.key, keyLine, describeNode(t, e.value, depth + 1)];
          }),
        };
      }
      if (t.isSeq(n)) return { line, seq: t.items(n).map((i) => describeNode(t, i, depth + 1)) };
      return { line, str: t.str(n), text: t.text(n) };
    };
    // Lines of empty values are compared only where the positioned tree answers.
    const dropUnplaced = (want: unknown, got: unknown): unknown => {
      if (got === 'unplaced') return 'unplaced';
      if (Array.isArray(want) && Array.isArray(got)) return want.map((w, i) => dropUnplaced(w, got[i]));
      if (want && got && typeof want === 'object' && typeof got === 'object') {
        return Object.fromEntries(
          Object.entries(want).map(([k, v]) => [k, dropUnplaced(v, (got as Record<string, unknown>)[k])]),
        );
      }
      return want;
    };
    const samples = ['kubernetes', 'github-actions', 'gitlab-ci', 'cloudformation', 'mcp'].flatMap((d) =>
      fixtureSamples(d).flatMap(variants),
    );
    const extra = [
      'a:\n  b: |\n    x\n  c: >-\n    y\n  d: "q"\n  e: \'r\'\n  f:\n  g: ~\n  h: [1, "2", {i: j}]\n',
      '- a\n-\n  - b\n- {x: 1}\n# end\n',
      'on: push\njobs:\n  a:\n    steps:\n      - uses: x/y@v1 # pin\n        with: {ref: main}\n',
      'k: 0o17\nl: 0x1F\nm: 1e3\nn: .inf\no: true\np: 012\n"1": x\n',
      '---\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: x\n---\nkind: Role\nrules: []\n---\n',
    ];
    let compared = 0;
    for (const text of [...samples.map((s) => s.text), ...extra]) {
      const roots = parsePositionedTree(text);
      if (!roots) continue;
      const ctx = createPostureContext('x.yaml', text, loadPostureRules()).ctx;
      const docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false });
      const list = Array.isArray(docs) ? docs : [];
      assert.ok(
        list.every((d) => d.errors.length === 0),
        text,
      );
      // The yaml package may count an empty document js-yaml leaves out; an empty one holds nothing to check.
      const want = list
        .filter((d) => d.contents !== null || list.length === roots.length)
        .map((d) => describeNode(new AstTree(d, ctx), d.contents, 0));
      const got = roots.map((r) => describeNode(new PositionedTree(ctx), r, 0));
      assert.deepEqual(got, dropUnplaced(want, got), text);
      compared++;
    }
    assert.ok(compared > 300, `${compared}`);
  });

  test('parsePositionedTree leaves to the exact parse what it cannot place alike', () => {
    assert.equal(parsePositionedTree('a: &x 1\nb: *x\n'), undefined);
    assert.equal(parsePositionedTree('a: !Ref x\n'), undefined);
    assert.equal(parsePositionedTree('a: 1\r\nb: 2\r\n'), undefined);
    assert.equal(parsePositionedTree('<<: {a: 1}\n'), undefined);
    assert.equal(parsePositionedTree('{a, b: c}\n'), undefined);
    assert.equal(parsePositionedTree('1: x\n'), undefined);
    // Refused by js-yaml: null, as the fast pass would be refused.
    assert.equal(parsePositionedTree('a: 1\na: 2\n'), null);
    assert.equal(parsePositionedTree('a: [\n'), null);
    // A mapping that ends at a `---` line: js-yaml's extra empty node after the pairs is no pair.
    const stream = parsePositionedTree('a: 1\n---\nb: 2\n')!;
    assert.deepEqual(
      stream.map((r) => r.pairs.map((p) => p.key)),
      [['a'], ['b']],
    );
    const [root] = parsePositionedTree('a:\n  - b\nc:\n')!;
    assert.ok(root instanceof PNode && root.kind === 'map');
    const ctx = createPostureContext('x.yaml', 'a:\n  - b\nc:\n', loadPostureRules()).ctx;
    const t = new PositionedTree(ctx);
    assert.equal(t.line(t.items(t.get(root, 'a'))[0]), 2);
    assert.throws(() => t.line(t.get(root, 'c')));
    assert.throws(() => t.source(root));
  });
  test('parseFastCore reads as loadFast where it says strict, and keeps parseFastPositioned answers', () => {
    const texts = [
      ...['kubernetes', 'gitlab-ci', 'github-actions'].flatMap((d) => fixtureSamples(d).flatMap(variants)).map((s) => s.text),
      'a: 1\na: 2\n',
      'a: 1\nb: [\n',
      'a: 1\nb: {c: 1, c: 2}\nd: [\n',
    ];
    let strict = 0;
    let repeated = 0;
    let refused = 0;
    for (const text of texts) {
      const core = parseFastCore(text);
      const fast = loadFast(text, { schema: YAML_CORE, anchors: 'none' });
      // The inventory's answer is unchanged: parseFastPositioned's values and lines.
      const positioned = parseFastPositioned(text, YAML_CORE);
      assert.deepEqual(core.fast?.values, positioned?.values, text);
      if (core.strict) {
        strict++;
        assert.ok(fast.ok, text);
        assert.deepEqual(core.fast!.values, fast.docs, text);
      } else if (core.fast) {
        repeated++;
        assert.ok(!fast.ok && fast.why === 'error', text);
      }
      if (core.refused) {
        refused++;
        assert.ok(!fast.ok && fast.why === 'error', text);
      }
    }
    assert.ok(strict > 100 && repeated >= 1 && refused > 20, `${strict} ${repeated} ${refused}`);
  });
  test("certainYamlError: a refusal the yaml package shares, in js-yaml's words and place", () => {
    const stray = 'Resources:\n  Queue:\n    Type: AWS::SQS::Queue\nTOKEN=abc123\n    Properties: {}\n';
    const e = certainYamlError(stray);
    assert.equal(e?.message, 'can not read a block mapping entry; a multiline key may not be an implicit key');
    assert.equal(e?.line, 5);
    assert.ok(parseDocument(stray).errors.length > 0);
    // Refusals that prove nothing: a repeated key and an unknown tag are valid to the yaml package.
    assert.equal(certainYamlError('a: 1\na: 2\n'), null);
    assert.equal(parseDocument('a: 1\na: 2\n', { uniqueKeys: false }).errors.length, 0);
    assert.equal(certainYamlError('a: !Ref b\n'), null);
    assert.equal(certainYamlError('a: 1\nb: [1, 2]\n'), null);
    assert.equal(certainYamlError('%YAML 1.2\n---\na: [1 2]\n'), null);
  });

  test('certainYamlError never claims an error the yaml package does not find', () => {
    // The posture fixtures, their variants and seeded random edits of them (stray lines, characters put
    // in or taken out, lines indented anew): wherever js-yaml refuses for a reason certainYamlError
    // trusts, the yaml package reports an error too.
    const samples = ['kubernetes', 'github-actions', 'gitlab-ci', 'cloudformation', 'mcp'].flatMap((d) =>
      fixtureSamples(d).filter((s) => /\.ya?ml$/.test(s.path)),
    );
    const texts = samples.flatMap((s) => variants(s).map((v) => v.text));
    const random = createRandom(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const strays = [
      'SECRET=abc123',
      'a b c',
      'foo bar: baz',
      'k: [1, 2',
      'k: {a',
      'k: "x',
      "k: 'x",
      '- item',
      'a: b: c',
      '[a, b]',
    ];
    const chars = [' ', '\t', '\n', ':', '-', '#', '"', "'", '[', ']', '{', '}', ',', '|', '>', 'x'];
    const bases = texts.slice();
    for (let i = 0; i < 4000; i++) {
      const t = pick(bases);
      const lines = t.split('\n');
      const at = Math.floor(random() * (lines.length + 1));
      const op = Math.floor(random() * 4);
      if (op === 0) lines.splice(at, 0, ' '.repeat(Math.floor(random() * 4) * 2) + pick(strays));
      else if (op === 1 && lines[at] !== undefined) {
        const c = Math.floor(random() * (lines[at]!.length + 1));
        lines[at] = lines[at]!.slice(0, c) + pick(chars) + lines[at]!.slice(c);
      } else if (op === 2 && lines[at] !== undefined) lines[at] = lines[at]!.slice(0, Math.floor(random() * lines[at]!.length));
      else if (lines[at] !== undefined) lines[at] = lines[at]!.replace(/^\s*/, ' '.repeat(Math.floor(random() * 8)));
      texts.push(lines.join('\n'));
    }
    const seen = new Map<string, number>();
    for (const text of texts) {
      const certain = certainYamlError(text);
      if (certain === null) continue;
      seen.set(certain.message, (seen.get(certain.message) ?? 0) + 1);
      const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
      assert.ok(Array.isArray(docs) && docs.some((d) => d.errors.length > 0), `claimed an error in\n${text}`);
    }
    const total = [...seen.values()].reduce((a, n) => a + n, 0);
    assert.ok(total > 500 && seen.size >= 5, JSON.stringify([...seen]));
  });

  test('a template broken in a way both parsers agree on is reported without the yaml parse', async () => {
    const text =
      'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\nAPI_TOKEN=x1y2z3\n    Properties:\n      VisibilityTimeout: 30\n';
    const r = await analyzePosture('stack.yaml', text);
    assert.deepEqual(r.malformed, [
      'cloudformation: invalid YAML: can not read a block mapping entry; a multiline key may not be an implicit key at line 6, column 15',
    ]);
    assert.equal(parseTaggedDocument.peek(text), undefined);
  });
});
