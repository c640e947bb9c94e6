import { Type } from 'js-yaml';
import { isMap, isScalar } from 'yaml';
import { redact } from '../secrets/redact.js';
import { logicalLines } from './shell.js';
import type { PostureAnalyzer, PostureContext } from './types.js';
import {
  AstTree,
  certainYamlError,
  isPlainMap,
  loadFast,
  parseYamlDocuments,
  quietOn,
  Tagged,
  type Tree,
  ValueTree,
  YAML_CORE,
} from './yaml-fast.js';

/**
 * GitLab CI posture: literal cloud keys in `variables:`, secrets printed by job scripts, debug
 * tracing that dumps every variable, and the deprecated CI_JOB_JWT tokens that `id_tokens:` replaced.
 * Kept deliberately narrow: GitLab projects usually hold credentials as masked CI/CD variables, and a
 * `$VARIABLE` reference says nothing about how that variable is stored.
 */

const RULE = {
  staticCloud: 'posture.gitlab-ci.static-cloud-credentials',
  secretInLog: 'posture.gitlab-ci.secret-in-log',
  debugTrace: 'posture.gitlab-ci.debug-trace',
  jobJwt: 'posture.gitlab-ci.deprecated-ci-job-jwt',
} as const;

/** `.gitlab-ci.yml`, included `*.gitlab-ci.yml` files and the conventional `.gitlab/ci/` folder. */
const GITLAB_PATH = /(?:^|\/)(?:[^/]*\.)?gitlab-ci\.ya?ml$|(?:^|\/)\.gitlab\/ci\/.+\.ya?ml$/i;

/** Top-level keywords that are not jobs (GitLab CI/CD YAML reference). */
const GLOBAL_KEYWORDS = new Set([
  'default',
  'include',
  'stages',
  'variables',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
  'spec',
]);
const SCRIPT_KEYS = ['before_script', 'script', 'after_script'] as const;

/**
 * Literal values that are real cloud credentials, by the variable that holds them: key ids and secret
 * keys have fixed shapes, so `AWS_SECRET_ACCESS_KEY: test` (LocalStack, moto) is not mistaken for one.
 */
const LITERAL_CREDENTIALS: { name: RegExp; value: RegExp; kind: string }[] = [
  { name: /(?:^|_)AWS_ACCESS_KEY_ID$/i, value: /^(?:AKIA|ASIA)[A-Z0-9]{16}$/, kind: 'an AWS access key id' },
  { name: /(?:^|_)AWS_SECRET_(?:ACCESS_)?KEY$/i, value: /^[A-Za-z0-9/+]{40}$/, kind: 'an AWS secret access key' },
  { name: /(?:^|_)(?:AZURE|ARM)_CLIENT_SECRET$/i, value: /^[A-Za-z0-9_.~-]{30,}$/, kind: 'an Azure client secret' },
  {
    name: /(?:^|_)(?:GOOGLE_CREDENTIALS|GCP_SA_KEY|GCLOUD_SERVICE_KEY)$/i,
    value: /"private_key"\s*:/,
    kind: 'a GCP service-account key',
  },
];
/** AWS documentation and tutorial keys (the access key id and secret ending in EXAMPLE) are not credentials. */
const EXAMPLE_VALUE = /EXAMPLE/i;

/** Variable names that hold a secret; names of files, paths, ids and URLs about a secret do not. */
const SECRET_NAME = /(?:TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)$|^CI_JOB_TOKEN$/i;
const NOT_SECRET_NAME = /_(?:FILE|PATH|DIR|NAME|ID|URL|TYPE|EXPIRY|EXPIRES|HEADER|LENGTH|ENDPOINT|USER|USERNAME)$/i;

const ECHO_COMMAND = /^(?:(?:then|do|else)\s+|[{(]\s*)*(?:sudo\s+)?(?:echo|printf|Write-Host|Write-Output)\b/i;
/** `aws configure set aws_secret_access_key <value>`: a literal value is a key committed to the file. */
const AWS_CONFIGURE = /\baws\s+configure\s+set\s+(aws_access_key_id|aws_secret_access_key)\s+(\S+)/i;
const DUMP_ENV = /^(?:env|printenv|export\s+-p)(?:\s*\|\s*sort)?$/;
/** CI_JOB_JWT, _V1 and _V2 were deprecated in GitLab 15.9 and removed in 17.0 in favour of `id_tokens:`. */
const JOB_JWT = /\$\{?CI_JOB_JWT(?:_V[12])?\b/;
const JOB_JWT_MESSAGE = 'CI_JOB_JWT is deprecated and removed in GitLab 17.0; declare id_tokens: with an aud for this service';

/**
 * A node of a document's tree: a `yaml` node (exact pass) or a js-yaml value (fast pass). The checks only
 * look into it through the Tree (yaml-fast.ts), which reads both alike.
 */
type N = unknown;

/** Script lines: strings, nested sequences (from anchors) flattened; `!reference` tags are left unresolved. */
function scripts(t: Tree, n: N, out: { text: string; node: N }[] = []): { text: string; node: N }[] {
  const v = t.node(n);
  if (t.isSeq(v)) {
    if (t.tag(v) === '!reference') return out;
    for (const i of t.items(v)) scripts(t, i, out);
  } else {
    const text = t.text(v);
    if (text !== undefined) out.push({ text, node: v });
  }
  return out;
}

/** A variable's value: `NAME: value` or the expanded form `NAME: { value: …, description: … }`. */
function variableValue(t: Tree, n: N): string | undefined {
  return t.str(n) ?? t.str(t.get(n, 'value'));
}

function checkVariables(t: Tree, vars: N, where: string): void {
  for (const { key, keyNode, value } of t.entries(vars)) {
    const v = variableValue(t, value)?.trim();
    if (v === undefined) continue;
    if (/^CI_DEBUG_(?:TRACE|SERVICES)$/.test(key) && /^true$/i.test(v)) {
      t.ctx.report({
        ruleId: RULE.debugTrace,
        line: t.line(keyNode),
        evidence: `${key}: "${v}"`,
        message: `${key} is enabled ${where}: the job log will contain every variable, masked ones included`,
      });
      continue;
    }
    if (JOB_JWT.test(v)) {
      // Variables feed CI_JOB_JWT to tools, e.g. VAULT_ID_TOKEN: $CI_JOB_JWT_V2.
      t.ctx.report({ ruleId: RULE.jobJwt, line: t.line(keyNode), evidence: `${key}: ${v}`, message: JOB_JWT_MESSAGE });
      continue;
    }
    if (v.includes('$') && !v.includes('"private_key"')) continue; // a reference to another variable
    const kind = LITERAL_CREDENTIALS.find((c) => c.name.test(key) && c.value.test(v) && !EXAMPLE_VALUE.test(v))?.kind;
    if (!kind) continue;
    t.ctx.report({
      ruleId: RULE.staticCloud,
      line: t.line(keyNode),
      evidence: `${key}: ${redact(v)}`,
      message: `${key} holds ${kind} written into the pipeline file ${where}`,
    });
  }
}

/** Splits script text into simple commands (backslash continuations joined, `&&`, `||`, `;` split). */
function commands(script: string): { cmd: string; first: string }[] {
  const out: { cmd: string; first: string }[] = [];
  const logical = logicalLines(script);
  for (const l of logical) {
    for (const c of l.text.split(/&&|\|\||;/)) if (c.trim() !== '') out.push({ cmd: c.trim(), first: l.first });
  }
  return out;
}

function secretVariable(cmd: string): string | undefined {
  for (const m of cmd.matchAll(/\$(?:env:)?\{?([A-Za-z_]\w*)|%([A-Za-z_]\w*)%/g)) {
    const name = m[1] ?? m[2]!;
    if (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name)) return name;
  }
  return undefined;
}

function checkScripts(t: Tree, holder: N): void {
  for (const key of SCRIPT_KEYS) {
    for (const { text, node } of scripts(t, t.get(holder, key))) {
      for (const { cmd, first } of commands(text)) {
        if (JOB_JWT.test(cmd)) {
          t.ctx.report({
            ruleId: RULE.jobJwt,
            line: t.lineWithin(node, first),
            evidence: cmd,
            message: JOB_JWT_MESSAGE,
          });
        }
        const configured = AWS_CONFIGURE.exec(cmd);
        const literal = configured?.[2]?.replace(/^["']|["']$/g, '');
        if (configured && literal && !literal.includes('$') && !EXAMPLE_VALUE.test(literal)) {
          const name = configured[1]!.toLowerCase() === 'aws_access_key_id' ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
          const spec = LITERAL_CREDENTIALS.find((c) => c.name.test(name) && c.value.test(literal));
          if (spec) {
            t.ctx.report({
              ruleId: RULE.staticCloud,
              line: t.lineWithin(node, first),
              evidence: `aws configure set ${configured[1]} ${redact(literal)}`,
              message: `The script configures ${spec.kind} written into the pipeline file`,
            });
          }
        }
        if (DUMP_ENV.test(cmd)) {
          t.ctx.report({
            ruleId: RULE.secretInLog,
            line: t.lineWithin(node, first),
            evidence: cmd,
            message: `\`${cmd}\` prints every variable of the job, unmasked ones in clear`,
          });
          continue;
        }
        // A redirect or pipe sends the value to a file or a program's stdin, not to the log.
        if (!ECHO_COMMAND.test(cmd) || /[>|]|\btee\b/.test(cmd)) continue;
        const name = secretVariable(cmd);
        if (!name) continue;
        t.ctx.report({
          ruleId: RULE.secretInLog,
          line: t.lineWithin(node, first),
          evidence: cmd,
          message: `${name} is printed to the job log; masking fails for unmasked variables and transformed values`,
        });
      }
    }
  }
}

function analyzeDocument(t: Tree, root: N): void {
  checkVariables(t, t.get(root, 'variables'), 'for every job');
  checkScripts(t, root);
  checkScripts(t, t.get(root, 'default'));
  for (const { key, value } of t.entries(root)) {
    if (GLOBAL_KEYWORDS.has(key) || !t.isMap(value)) continue;
    checkVariables(t, t.get(value, 'variables'), `in job ${key}`);
    checkScripts(t, value);
  }
}

/** The analysis over the `yaml` AST: exact lines and messages. Every file went this way before the fast pass. */
function analyzeExact(ctx: PostureContext): void {
  // CI/CD component templates put `spec:` in a first document and the jobs after `---`. GitLab's
  // `!reference [job, key]` tag is unknown to the YAML library: a warning, not an error.
  const certain = certainYamlError(ctx.text);
  if (certain) {
    ctx.malformed(`invalid YAML: ${certain.message} at line ${certain.line}`);
    return;
  }
  const { docs } = parseYamlDocuments(ctx.text);
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) {
    ctx.malformed(`invalid YAML: ${broken.errors[0]!.message.split('\n')[0]}`);
    return;
  }
  for (const doc of docs) {
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) continue;
    if (!isMap(root)) {
      ctx.malformed('not a YAML mapping');
      return;
    }
    analyzeDocument(new AstTree(doc, ctx), root);
  }
}

/** `!reference [job, key]` for js-yaml, kept apart from plain sequences as the exact pass keeps its tag. */
const FAST_SCHEMA = YAML_CORE.extend({
  explicit: [new Type('!reference', { kind: 'sequence', construct: (items: unknown) => new Tagged('!reference', items) })],
});

/**
 * Whether js-yaml's reading of the file settles it: every document empty or a mapping on which the
 * checks report nothing. Anchors are fine: both trees follow aliases and merge keys.
 */
function settledFast(ctx: PostureContext): boolean {
  const fast = loadFast(ctx.text, { schema: FAST_SCHEMA });
  if (!fast.ok) return false;
  const roots = fast.docs.filter((d) => d !== undefined && d !== null && d !== '');
  // A document that is not a mapping is malformed, which the exact pass words.
  return (
    roots.every(isPlainMap) &&
    quietOn(ctx, (probe) => {
      for (const root of roots) analyzeDocument(new ValueTree(probe), root);
    })
  );
}

/**
 * GitLab CI pipeline files.
 * @example await analyzePosture('.gitlab-ci.yml', text, { analyzers: [gitlabCiAnalyzer] })
 */
export const gitlabCiAnalyzer: PostureAnalyzer = {
  id: 'gitlab-ci',
  accepts: (path) => GITLAB_PATH.test(path),
  analyze(ctx) {
    if (!settledFast(ctx)) analyzeExact(ctx);
  },
};

/** The same analyzer without the fast pass: for tests that hold the two to the same results. */
export const gitlabCiExactAnalyzer: PostureAnalyzer = { ...gitlabCiAnalyzer, analyze: analyzeExact };
