import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTemplateFast, parseWithPositions } from '../posture/cloudformation.js';
import { fixtureSamples, variants } from '../posture/fast-path-agreement.js';
import { parseFastPositioned, YAML_CORE, YAML_FAILSAFE } from '../posture/yaml-fast.js';
import { parseYamlStreamExact } from './common.js';

type Line = (container: unknown, key?: string | number) => number | undefined;

/** Every value, and the line of every collection, key and item, as one comparable list. */
function flatten(value: unknown, line: Line): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v !== 'object' || v === null) {
      out.push([at, v]);
      return;
    }
    out.push([at, line(v)]);
    for (const [k, x] of Object.entries(v)) {
      out.push([`${at}/${k}`, line(v, Array.isArray(v) ? Number(k) : k)]);
      walk(x, `${at}/${k}`);
    }
  };
  walk(value, '');
  return out;
}

const STREAMS = [
  'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::1:role/x\n',
  '# head\n---\nkind: Deployment\nmetadata: {name: web, labels: {team: a}}\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      volumes:\n      - name: t\n        projected:\n          sources:\n            - serviceAccountToken:\n                expirationSeconds: 600\n---\n\n---\nkind: Role\nrules:\n- verbs: ["*"]\n  resources:\n  # a comment\n  - pods\n  - secrets\n',
  'a: b\nb: c\nc:\nd: [1, 2.5, true, null, "x"]\ne: |\n  text\n  more\nf: >-\n  folded\ng:\n- - x\n  - y\n- z\n',
  'a: 1\na: 2\nb:\n  c: d\n  c: e\n',
  "k: 'quoted: value'\nplain: multi\n  line scalar\nn: 012\n",
];

describe('fast positioned YAML parse', () => {
  it('gives the values and lines of the yaml package (streams, core schema)', () => {
    for (const text of STREAMS) {
      const fast = parseFastPositioned(text, YAML_CORE);
      const exact = parseYamlStreamExact(text);
      assert.ok(fast && exact, text);
      assert.deepEqual(
        fast.values.map((v) => flatten(v, fast.line)),
        exact.values.map((v) => flatten(v, exact.line)),
        text,
      );
    }
  });

  it('gives the values and lines of parseWithPositions (one document, scalars as written)', () => {
    for (const text of STREAMS.filter((t) => !t.includes('---'))) {
      const fast = parseFastPositioned(text, YAML_FAILSAFE);
      const exact = parseWithPositions(text);
      assert.ok(fast && exact.ok, text);
      assert.deepEqual(flatten(fast.values[0], fast.line), flatten(exact.doc.value, exact.doc.line), text);
    }
  });

  it('leaves to the exact parser what it cannot be sure of', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !Ref X\n',
      '%YAML 1.1\n---\na: 1\n',
      '? complex\n: key\n',
      '1.0: x\n',
      '<<: {a: 1}\n',
      'a: {{ .Values.x }}\n',
      'a: 1\r\nb: 2\r\n',
      'a:\n  - \n  - b\n',
      'a: [unclosed\n',
    ]) {
      assert.equal(parseFastPositioned(text, YAML_CORE), undefined, text);
    }
    // GitHub's expressions (`$` then `{{`) are plain text to both parsers.
    assert.ok(parseFastPositioned(['run: echo $', '{{ secrets.X }}\n'].join(''), YAML_FAILSAFE));
  });
  it('reads CloudFormation short-form tags as parseWithPositions does, or leaves them to it', () => {
    const tagged = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
      'Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub "${AWS::StackName}-r"\n      Arn: !GetAtt Other.Arn\n      Policies:\n        - !If\n          - Cond\n          - PolicyName: a\n          - !Ref AWS::NoValue\n      List: !Join [",", [!Ref A, b]]\n      Map: !Transform {Name: x, Parameters: {a: 1}}\n      Block: !Sub |\n        line ${A}\n      Next: !Select\n        - 0\n        - !GetAZs ""\n',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
      'a: !Ref x # comment\nb:\n  - !Sub\n    - "${x}"\n    - {x: !Ref y}\nc: !Base64\n  Fn::Sub: z\n',
      'a: "not !Ref a tag"\nb: x!y\n',
    ];
    const texts = [
      ...fixtureSamples('cloudformation')
        .flatMap(variants)
        .map((v) => v.text),
      ...tagged,
    ];
    let fast = 0;
    for (const text of texts) {
      const got = parseTemplateFast(text);
      if (!got) continue;
      fast++;
      const exact = parseWithPositions(text);
      assert.ok(exact.ok, text);
      assert.equal(JSON.stringify(got.value), JSON.stringify(exact.doc.value), text);
      assert.deepEqual(flatten(got.value, got.line), flatten(exact.doc.value, exact.doc.line), text);
    }
    assert.ok(fast > 100, `${fast}`);
    for (const text of tagged) assert.ok(parseTemplateFast(text), text);
    // Where the two could differ: the exact parse decides.
    for (const text of [
      'a: &x !Ref y\nb: *x\n',
      'a: !!str 1\n',
      'a: !Custom x\n',
      'a: !Ref\n',
      'a: !Ref\n  x\n',
      'a: !Ref x\n---\nb: 1\n',
      '%TAG ! tag:x,2000:\n---\na: !Ref x\n',
      'a: !If [c, {<<: {a: 1}}, b]\n',
    ]) {
      assert.equal(parseTemplateFast(text), undefined, text);
    }
  });
});
