import { type Document, isMap, isScalar } from 'yaml';
import { parseTaggedDocument } from './cloudformation.js';
import { logicalLines } from './shell.js';
import type { PostureAnalyzer, PostureContext } from './types.js';
import {
  AstTree,
  certainYamlError,
  isPlainMap,
  loadFast,
  PositionedTree,
  parsePositionedTree,
  quietOn,
  settledPositioned,
  type Tree,
  ValueTree,
  YAML_CORE,
} from './yaml-fast.js';

/**
 * GitHub Actions posture: static cloud keys where OIDC fits, token permissions, "pwn request"
 * checkouts, secrets and untrusted input in `run:` scripts, unpinned third-party actions and
 * self-hosted runners on fork-triggerable workflows.
 *
 * References: GitHub Docs "Secure use reference" (pinning, script injection, self-hosted runners),
 * "Controlling permissions for GITHUB_TOKEN", and GitHub Security Lab's "Preventing pwn requests".
 */

const RULE = {
  staticCloud: 'posture.github-actions.static-cloud-credentials',
  missingPermissions: 'posture.github-actions.missing-permissions',
  writeAll: 'posture.github-actions.write-all-permissions',
  pwnRequest: 'posture.github-actions.untrusted-checkout-with-secrets',
  untrustedCheckout: 'posture.github-actions.untrusted-checkout',
  secretInLog: 'posture.github-actions.secret-in-log',
  scriptInjection: 'posture.github-actions.script-injection',
  unpinned: 'posture.github-actions.unpinned-action',
  unpinnedFirstParty: 'posture.github-actions.unpinned-first-party-action',
  selfHosted: 'posture.github-actions.self-hosted-runner-fork-trigger',
  reusableSecretsInherit: 'posture.github-actions.untrusted-trigger-reusable-secrets-inherit',
  unpinnedReusable: 'posture.github-actions.unpinned-reusable-workflow',
} as const;

const WORKFLOW_PATH = /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i;
const ACTION_PATH = /(?:^|\/)action\.ya?ml$/i;

/** Env names whose value is a long-lived cloud credential when it comes from a secret. */
const STATIC_ENV_NAME =
  /^(?:AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|AZURE_CREDENTIALS|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS_JSON|GOOGLE_CLOUD_KEYFILE_JSON|GCP_SA_KEY|GCLOUD_SERVICE_KEY)$/i;
/** Secret names that by convention hold a cloud access key or service-account key (prefixes such as PROD_ allowed). */
const STATIC_SECRET_NAME =
  /(?:^|_)(?:AWS_(?:SECRET_)?ACCESS_KEY(?:_ID)?|AWS_SECRET_KEY|AZURE_CREDENTIALS|(?:ARM|AZURE)_CLIENT_SECRET|GCP_SA_KEY|GCP_CREDENTIALS|GCP_SERVICE_ACCOUNT_KEY|GOOGLE_CREDENTIALS|GCLOUD_SERVICE_KEY)(?:_|$)/i;

/** Secret names of S3-compatible stores, which reuse the AWS variable names but offer no OIDC federation. */
const S3_COMPATIBLE =
  /(?:^|_)(?:R2|CLOUDFLARE|CF|SPACES|DO|DIGITALOCEAN|MINIO|B2|BACKBLAZE|WASABI|LINODE|SCW|SCALEWAY|OSS|ALIYUN|COS|TENCENT|HETZNER)(?:_|$)/i;

/**
 * Contexts an outside contributor controls (GitHub Docs, "Script injections"; GitHub Security Lab,
 * "Untrusted input"). Interpolated with `${{ }}` they become shell text before the shell runs.
 */
const UNTRUSTED_CONTEXT =
  /\bgithub\.(?:head_ref\b|event\.(?:(?:issue|pull_request|discussion)\.(?:title|body)\b|(?:comment|review|review_comment)\.body\b|pages(?:\.\*|\[\d+\])\.page_name\b|(?:commits(?:\.\*|\[\d+\])|head_commit)\.(?:message|(?:author|committer)\.(?:email|name))\b|pull_request\.head\.(?:ref|label|repo\.default_branch)\b|workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author\.(?:email|name)))\b))/;

/** A checkout `ref` (or git command) that names the pull request's code rather than the base branch. */
const PR_HEAD_REF =
  /github\.event\.pull_request\.(?:head\.(?:sha|ref)|merge_commit_sha)|github\.head_ref|github\.event\.workflow_run\.(?:head_sha|head_branch|head_commit\.id)|refs\/pull\/|\bpull\/[^\s/]+\/(?:head|merge)\b/;
const PR_HEAD_REPO = /pull_request\.head\.repo\.full_name|workflow_run\.head_repository\.full_name/;

/**
 * `if:` conditions that keep fork pull requests out (same-repository check, `fork == false`) or run
 * only for trusted upstream events: such jobs never see attacker-controlled code.
 */
const FORK_GUARD =
  /head\.repo(?:sitory)?\.full_name\s*==|==\s*github\.event\.[\w.]*head\.repo(?:sitory)?\.full_name|head\.repo(?:sitory)?\.fork\s*==\s*false|!\s*github\.event\.[\w.]*head\.repo(?:sitory)?\.fork\b|workflow_run\.event\s*==\s*'(?:push|schedule|workflow_dispatch|release)'|workflow_run\.event\s*!=\s*'pull_request/;

/** Triggers that run with the base repository's secrets and token while a fork author controls the input. */
const PRIVILEGED_TRIGGERS = ['pull_request_target', 'workflow_run', 'issue_comment'];
/** Triggers by which a fork's pull request runs code on the workflow's runner. */
const FORK_TRIGGERS = ['pull_request', 'pull_request_target'];
/**
 * Triggers whose run holds the repository's secrets while someone outside it controls the event
 * (a fork's pull request, an issue or comment body, a run of a fork-triggered workflow).
 */
const UNTRUSTED_SECRET_TRIGGERS = [
  ...PRIVILEGED_TRIGGERS,
  'issues',
  'discussion',
  'discussion_comment',
  'pull_request_review',
  'pull_request_review_comment',
];
/** Owners whose actions GitHub itself publishes; a tag there carries the platform's own trust. */
const FIRST_PARTY_OWNERS = new Set(['actions', 'github', 'dependabot']);

/** Below this many scopes a map of only `write` values is a deliberate grant, not "write everything". */
const ALL_WRITE_MIN_SCOPES = 10;

/** `${{ … }}`, bounded so an unclosed `${{` costs a constant, not the rest of the file. */
const EXPRESSION = /\$\{\{([\s\S]{0,2000}?)\}\}/g;
/**
 * `${{ secrets.X }}` other than the job's own GITHUB_TOKEN, which GitHub always masks and which
 * expires with the job; a repository secret outlives the run.
 */
const SECRET_EXPR = /\$\{\{\s*secrets\s*(?:\.\s*(?!GITHUB_TOKEN\b)[A-Za-z_][\w-]*|\[[^\]]*\])\s*\}\}/;
const ECHO_COMMAND = /^(?:(?:then|do|else)\s+|[{(]\s*)*(?:sudo\s+)?(?:echo|printf|Write-Host|Write-Output)\b/i;
const SET_XTRACE = /(?:^|[;&|]\s*|\n\s*)set\s+(?:-[a-zA-Z]*x[a-zA-Z]*\b|-o\s+xtrace\b)/;

type Level = 'absent' | 'none' | 'read' | 'some-write' | 'write-all';

/**
 * A node of the file's tree: a `yaml` node (exact pass) or a js-yaml value (fast pass). The checks only
 * look into it through the Tree (yaml-fast.ts), which reads both alike.
 */
type N = unknown;

function parse(ctx: PostureContext): Document | undefined {
  const certain = certainYamlError(ctx.text);
  if (certain) {
    ctx.malformed(`invalid YAML: ${certain.message} at line ${certain.line}`);
    return undefined;
  }
  // Shared with the inventory extractor (one parse per file); CloudFormation's tags change nothing here.
  const { doc } = parseTaggedDocument(ctx.text);
  if (doc.errors.length > 0) {
    ctx.malformed(`invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    return undefined;
  }
  return doc;
}

function triggers(t: Tree, on: N): Set<string> {
  const out = new Set<string>();
  const s = t.str(on);
  if (s !== undefined) out.add(s);
  for (const i of t.items(on)) {
    const v = t.str(i);
    if (v !== undefined) out.add(v);
  }
  for (const e of t.entries(on)) out.add(e.key);
  return out;
}

function permissionLevel(t: Tree, n: N, present: boolean): Level {
  if (!present) return 'absent';
  const s = t.str(n);
  if (s !== undefined) return s === 'write-all' ? 'write-all' : s === 'read-all' ? 'read' : 'none';
  const entries = t.entries(n);
  if (entries.length === 0) return t.isMap(n) ? 'none' : 'read';
  const values = entries.map((e) => t.str(e.value));
  const writes = values.filter((v) => v === 'write').length;
  if (writes >= ALL_WRITE_MIN_SCOPES && writes === values.length) return 'write-all';
  if (writes > 0) return 'some-write';
  return values.some((v) => v === 'read') ? 'read' : 'none';
}

const isWrite = (l: Level): boolean => l === 'write-all' || l === 'some-write';

/** Names of `secrets.X` references in a string. */
export function secretNames(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(EXPRESSION)) {
    for (const s of m[1]!.matchAll(/\bsecrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['"]([^'"]+)['"]\s*\])/g)) {
      out.push(s[1] ?? s[2]!);
    }
  }
  return out;
}

/** Env variable names (of one `env:` map) whose value comes from a repository secret (not GITHUB_TOKEN). */
function secretEnvNames(t: Tree, env: N): Set<string> {
  const out = new Set<string>();
  for (const e of t.entries(env)) {
    const v = t.str(e.value);
    if (v !== undefined && secretNames(v).some((n) => n !== 'GITHUB_TOKEN')) out.add(e.key);
  }
  return out;
}

interface Hit {
  line: number;
  evidence: string;
}

/** Entries of an `env:`, `with:` or `secrets:` map that hand a static cloud credential to the job. */
function staticCredentialEntries(t: Tree, map: N): Hit[] {
  const hits: Hit[] = [];
  for (const e of t.entries(map)) {
    const v = t.str(e.value);
    if (v !== undefined && isStaticCloudEntry(e.key, v)) {
      hits.push({ line: t.line(e.keyNode), evidence: `${e.key}: ${v.trim()}` });
    }
  }
  return hits;
}

/**
 * Whether an `env:`/`with:` entry hands a long-lived cloud credential (from a repository secret) to
 * a job; the same test the static-cloud-credentials rule applies, shared with the inventory.
 * @example isStaticCloudEntry('AWS_ACCESS_KEY_ID', '${{ secrets.AWS_KEY }}') // true
 */
export function isStaticCloudEntry(key: string, value: string): boolean {
  if (!value.includes('${{')) return false;
  const names = secretNames(value);
  if (names.length === 0 || names.some((n) => S3_COMPATIBLE.test(n))) return false;
  return STATIC_ENV_NAME.test(key) || names.some((n) => STATIC_SECRET_NAME.test(n));
}

/** What each official login action should use instead of its long-lived credential input. */
export const LOGIN_INPUTS: Record<string, { input: string; kind: string; instead: string }> = {
  'aws-actions/configure-aws-credentials': { input: 'aws-access-key-id', kind: 'an IAM access key', instead: 'role-to-assume' },
  'azure/login': { input: 'creds', kind: 'a service-principal secret', instead: 'client-id and tenant-id (OIDC)' },
  'google-github-actions/auth': {
    input: 'credentials_json',
    kind: 'a service-account key',
    instead: 'workload_identity_provider',
  },
  'google-github-actions/setup-gcloud': {
    input: 'service_account_key',
    kind: 'a service-account key',
    instead: 'google-github-actions/auth with workload_identity_provider',
  },
};

/** Official cloud login actions given a long-lived credential input instead of their OIDC inputs. */
function staticLoginInput(t: Tree, action: string, withNode: N): (Hit & { message: string }) | undefined {
  const spec = LOGIN_INPUTS[action];
  if (!spec) return undefined;
  const e = t.entries(withNode).find((x) => x.key === spec.input);
  const v = e ? t.str(e.value) : undefined;
  if (!e || v === undefined || v.trim() === '') return undefined;
  return {
    line: t.line(e.keyNode),
    evidence: `${action} with ${spec.input}: ${v.trim()}`,
    message: `${action} authenticates with ${spec.kind} (${spec.input}); use ${spec.instead} with id-token: write`,
  };
}

function reportStatic(t: Tree, hits: Hit[], where: string): void {
  if (hits.length === 0) return;
  const names = [...new Set(hits.map((h) => h.evidence.split(':')[0]!))].join(', ');
  t.ctx.report({
    ruleId: RULE.staticCloud,
    line: hits[0]!.line,
    evidence: hits[0]!.evidence,
    message: `A long-lived cloud key reaches ${where} through ${names}; use OIDC federation`,
  });
}

/** `owner/repo` of a `uses:` value, lower case, without path or ref. */
function actionName(uses: string): string {
  const at = uses.indexOf('@');
  return (at < 0 ? uses : uses.slice(0, at)).split('/').slice(0, 2).join('/').toLowerCase();
}

type Pin = 'pinned' | 'first-party' | 'third-party';

/** Only a full commit SHA (or an image digest) names immutable code; tags and branches can be moved. */
function pinning(uses: string): Pin {
  if (uses.startsWith('./') || uses.startsWith('../')) return 'pinned';
  if (uses.startsWith('docker://')) return /@sha256:[0-9a-f]{64}$/i.test(uses) ? 'pinned' : 'third-party';
  const at = uses.lastIndexOf('@');
  if (at < 0) return 'pinned'; // not a valid remote reference; actionlint's concern, not a pinning finding
  const ref = uses.slice(at + 1);
  if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(ref) || ref.includes('${{')) return 'pinned';
  return FIRST_PARTY_OWNERS.has(uses.split('/')[0]!.toLowerCase()) ? 'first-party' : 'third-party';
}

/** Simple commands of a logical line: split on `&&`, `||` and `;`, a pipeline kept whole. */
function commands(line: string): string[] {
  return line
    .split(/&&|\|\||;/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

function refsSecretEnv(command: string, secretEnv: ReadonlySet<string>): string | undefined {
  for (const m of command.matchAll(/\$(?:env:)?\{?([A-Za-z_]\w*)/g)) if (secretEnv.has(m[1]!)) return m[1]!;
  return undefined;
}

interface StepScope {
  /** Env names (workflow, job and step) whose value comes from a secret. */
  secretEnv: ReadonlySet<string>;
}

/** Untrusted `${{ github.event… }}` interpolated into script text; boolean tests such as contains() are safe. */
function checkInjection(t: Tree, node: N, script: string): void {
  for (const m of script.matchAll(EXPRESSION)) {
    const expr = m[1]!.trim();
    if (!UNTRUSTED_CONTEXT.test(expr)) continue;
    // contains()/startsWith() and comparisons yield booleans; `a == b && x || y` can still yield x or y.
    if (/^!?\s*(?:contains|startsWith|endsWith)\s*\(/i.test(expr)) continue;
    if (/[=!]=|[<>]/.test(expr) && !/&&|\|\|/.test(expr)) continue;
    const lineText = script.slice(script.lastIndexOf('\n', m.index) + 1).split('\n')[0]!;
    t.ctx.report({
      ruleId: RULE.scriptInjection,
      line: t.lineWithin(node, lineText),
      evidence: `\${{ ${expr} }}`,
      message: `Untrusted input \${{ ${expr} }} is interpolated into a script; pass it through env: and quote the variable`,
    });
  }
}

function checkSecretLogging(t: Tree, node: N, script: string, shell: string | undefined, scope: StepScope): void {
  const usesSecret = SECRET_EXPR.test(script) || refsSecretEnv(script, scope.secretEnv) !== undefined;
  const secretFiles = new Set<string>();
  for (const { text, first } of logicalLines(script)) {
    if (/toJSON\(\s*secrets\s*\)/i.test(text)) {
      t.ctx.report({
        ruleId: RULE.secretInLog,
        line: t.lineWithin(node, first),
        evidence: first.trim(),
        message: 'toJSON(secrets) expands every secret of the repository into the script',
      });
      continue;
    }
    for (const cmd of commands(text)) {
      const secret = SECRET_EXPR.test(cmd) || refsSecretEnv(cmd, scope.secretEnv) !== undefined;
      // A secret written to a file and then `cat`-ed back is printed all the same.
      const written = secret ? /(?:^|[^0-9&<>])>{1,2}\s*["']?([^\s"';&|]+)/.exec(cmd)?.[1] : undefined;
      if (written) secretFiles.add(written);
      const catted = /^(?:sudo\s+)?cat\s+["']?([^\s"';&|>]+)["']?$/.exec(cmd)?.[1];
      if (catted && secretFiles.has(catted)) {
        t.ctx.report({
          ruleId: RULE.secretInLog,
          line: t.lineWithin(node, first),
          evidence: cmd,
          message: `${catted} was written from a secret and is printed to the job log`,
        });
        continue;
      }
      // Redirected or piped values go to a file or a program, and workflow commands (::add-mask::,
      // ::set-output::) are consumed by the runner rather than shown.
      if (!secret || !ECHO_COMMAND.test(cmd) || /[>|]|\btee\b|["']?::[a-z-]+(?:\s[^:]*)?::/.test(cmd)) continue;
      t.ctx.report({
        ruleId: RULE.secretInLog,
        line: t.lineWithin(node, first),
        evidence: cmd,
        message: 'A secret is printed to the job log; masking is best effort and fails for transformed values',
      });
    }
  }
  const xtrace = SET_XTRACE.exec(script)?.[0] ?? (shell && /\s-[a-z]*x[a-z]*\b/.test(shell) ? shell : undefined);
  if (xtrace && usesSecret) {
    t.ctx.report({
      ruleId: RULE.secretInLog,
      line: t.lineWithin(node, xtrace.replace(/^[;&|\n\s]+/, '')),
      evidence: xtrace.trim(),
      message: 'Shell tracing (set -x) prints the expanded commands, secrets included, to the job log',
    });
  }
}

/** Steps of a job or a composite action: pinning, injection, secret logging and static credentials. */
function checkSteps(
  t: Tree,
  steps: N[],
  scope: StepScope,
  uses: Map<string, { line: number; pin: Pin; count: number }>,
  workflow: boolean,
): { checkoutsHead: Hit[] } {
  const checkoutsHead: Hit[] = [];
  for (const step of steps) {
    const usesNode = t.get(step, 'uses');
    const usesValue = t.str(usesNode)?.trim();
    const withNode = t.get(step, 'with');
    const envNode = t.get(step, 'env');
    if (usesValue) {
      const pin = pinning(usesValue);
      const seen = uses.get(usesValue);
      if (seen) seen.count++;
      else uses.set(usesValue, { line: t.line(usesNode), pin, count: 1 });
    }
    const action = usesValue ? actionName(usesValue) : '';

    if (workflow) {
      const login = staticLoginInput(t, action, withNode);
      if (login) t.ctx.report({ ruleId: RULE.staticCloud, ...login });
      else reportStatic(t, [...staticCredentialEntries(t, withNode), ...staticCredentialEntries(t, envNode)], 'this step');
    }

    if (action === 'actions/checkout') {
      const ref = t.str(t.get(withNode, 'ref')) ?? '';
      const repo = t.str(t.get(withNode, 'repository')) ?? '';
      if (PR_HEAD_REF.test(ref) || PR_HEAD_REPO.test(repo)) {
        const guarded = FORK_GUARD.test(t.str(t.get(step, 'if')) ?? '');
        if (!guarded) checkoutsHead.push({ line: t.line(usesNode), evidence: `actions/checkout ref: ${ref || repo}` });
      }
    }

    const runNode = t.get(step, 'run');
    const run = t.str(runNode);
    if (run !== undefined) {
      checkInjection(t, runNode, run);
      const stepScope: StepScope = {
        secretEnv: new Set([...scope.secretEnv, ...secretEnvNames(t, envNode)]),
      };
      if (workflow) checkSecretLogging(t, runNode, run, t.str(t.get(step, 'shell')), stepScope);
      const checkout =
        /\bgh\s+pr\s+checkout\b/.test(run) || (/\bgit\s+(?:fetch|checkout|pull|switch)\b/.test(run) && PR_HEAD_REF.test(run));
      if (checkout && !FORK_GUARD.test(t.str(t.get(step, 'if')) ?? '')) {
        const first =
          run.split('\n').find((l) => /\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|pull|switch)\b/.test(l)) ?? '';
        checkoutsHead.push({ line: t.lineWithin(runNode, first), evidence: first.trim() });
      }
    }
    if (action === 'actions/github-script') {
      const scriptNode = t.get(withNode, 'script');
      const script = t.str(scriptNode);
      if (script !== undefined) checkInjection(t, scriptNode, script);
    }
  }
  return { checkoutsHead };
}

function reportUnpinned(t: Tree, uses: Map<string, { line: number; pin: Pin; count: number }>): void {
  for (const [value, u] of uses) {
    if (u.pin === 'pinned') continue;
    const times = u.count > 1 ? ` (${u.count} uses in this file)` : '';
    const what = value.startsWith('docker://')
      ? 'an image tag, not a @sha256: digest'
      : 'a movable tag or branch, not a full commit SHA';
    t.ctx.report({
      ruleId: u.pin === 'first-party' ? RULE.unpinnedFirstParty : RULE.unpinned,
      line: u.line,
      evidence: `uses: ${value}`,
      message: `${value} is referenced by ${what}${times}`,
    });
  }
}

/**
 * A job that calls a reusable workflow of another repository (`jobs.<id>.uses: owner/repo/.github/
 * workflows/x.yml@ref`): a movable ref runs whatever the other repository pushes next, and
 * `secrets: inherit` hands it every secret of this one, which an untrusted trigger puts within an
 * outsider's reach. A local call (`./.github/workflows/x.yml`) is this repository's own code.
 */
function checkReusableCall(t: Tree, job: N, jobId: string, on: ReadonlySet<string>): void {
  const callNode = t.get(job, 'uses');
  const call = t.str(callNode)?.trim();
  if (call === undefined || call.startsWith('./') || call.startsWith('../')) return;
  if (pinning(call) !== 'pinned') {
    t.ctx.report({
      ruleId: RULE.unpinnedReusable,
      line: t.line(callNode),
      evidence: `jobs.${jobId}.uses: ${call}`,
      message: `Job ${jobId} calls the reusable workflow ${call} by a movable tag or branch, not a full commit SHA`,
    });
  }
  const secretsNode = t.get(job, 'secrets');
  const trigger = UNTRUSTED_SECRET_TRIGGERS.filter((x) => on.has(x));
  if (t.str(secretsNode)?.trim() === 'inherit' && trigger.length > 0) {
    t.ctx.report({
      ruleId: RULE.reusableSecretsInherit,
      line: t.line(secretsNode),
      evidence: `jobs.${jobId}: uses ${call} with secrets: inherit on ${trigger.join(', ')}`,
      message: `Job ${jobId} (${trigger.join(', ')}) passes every repository secret to another repository's workflow ${call}`,
    });
  }
}

function runsOnSelfHosted(t: Tree, runsOn: N): boolean {
  const labels = [t.str(runsOn), ...t.items(runsOn).map((i) => t.str(i))];
  const fromMap = t.get(runsOn, 'labels');
  labels.push(t.str(fromMap), ...t.items(fromMap).map((i) => t.str(i)));
  return labels.some((l) => l !== undefined && /\bself-hosted\b/i.test(l));
}

function analyzeWorkflow(t: Tree, root: N): void {
  // `on` is a string in YAML 1.2 (the library's default); under a `%YAML 1.1` directive it is `true`.
  const on = triggers(t, t.get(root, 'on') ?? t.get(root, 'true'));
  const jobs = t.get(root, 'jobs');
  if (!t.isMap(jobs)) return; // not a workflow (or one GitHub itself rejects); nothing to judge

  const topPermsPresent = t.has(root, 'permissions');
  const topPermsNode = t.get(root, 'permissions');
  const topLevel = permissionLevel(t, topPermsNode, topPermsPresent);
  if (topLevel === 'write-all') {
    t.ctx.report({
      ruleId: RULE.writeAll,
      line: t.line(topPermsNode),
      evidence: `permissions: ${t.str(topPermsNode) ?? 'every scope write'}`,
    });
  }

  const wfEnv = t.get(root, 'env');
  const wfSecretEnv = secretEnvNames(t, wfEnv);
  const wfHits = staticCredentialEntries(t, wfEnv);
  reportStatic(t, wfHits, 'every job');

  const uses = new Map<string, { line: number; pin: Pin; count: number }>();
  const withoutPermissions: string[] = [];
  for (const { key: jobId, value: job } of t.entries(jobs)) {
    if (!t.isMap(job)) continue;
    const permsPresent = t.has(job, 'permissions');
    const permsNode = t.get(job, 'permissions');
    const level = permissionLevel(t, permsNode, permsPresent);
    if (level === 'write-all') {
      t.ctx.report({
        ruleId: RULE.writeAll,
        line: t.line(permsNode),
        evidence: `jobs.${jobId}.permissions: ${t.str(permsNode) ?? 'every scope write'}`,
      });
    }
    if (!permsPresent) withoutPermissions.push(jobId);

    const jobEnv = t.get(job, 'env');
    const jobHits = [...staticCredentialEntries(t, jobEnv), ...staticCredentialEntries(t, t.get(job, 'secrets'))];
    reportStatic(t, jobHits, `job ${jobId}`);

    checkReusableCall(t, job, jobId, on);

    const jobIf = t.str(t.get(job, 'if')) ?? '';
    const guarded = FORK_GUARD.test(jobIf);
    const runsOn = t.get(job, 'runs-on');
    if (!guarded && FORK_TRIGGERS.some((x) => on.has(x)) && runsOnSelfHosted(t, runsOn)) {
      t.ctx.report({
        ruleId: RULE.selfHosted,
        line: t.line(runsOn),
        evidence: `jobs.${jobId}.runs-on: ${t.source(runsOn).replace(/\s+/g, ' ').trim()}`,
      });
    }

    const scope: StepScope = { secretEnv: new Set([...wfSecretEnv, ...secretEnvNames(t, jobEnv)]) };
    const { checkoutsHead } = checkSteps(t, t.items(t.get(job, 'steps')), scope, uses, true);
    if (checkoutsHead.length > 0 && !guarded && PRIVILEGED_TRIGGERS.some((x) => on.has(x))) {
      const jobSource = t.source(job);
      const effective = permsPresent ? level : topLevel;
      const secrets =
        /\bsecrets\s*\.\s*(?!GITHUB_TOKEN\b)[A-Za-z_]|\bsecrets\s*\[|secrets:\s*inherit|toJSON\(\s*secrets\s*\)/i.test(
          jobSource,
        ) || wfSecretEnv.size > 0;
      const privileged = secrets || isWrite(effective);
      const trigger = PRIVILEGED_TRIGGERS.filter((x) => on.has(x)).join(', ');
      const hit = checkoutsHead[0]!;
      t.ctx.report({
        ruleId: privileged ? RULE.pwnRequest : RULE.untrustedCheckout,
        line: hit.line,
        evidence: hit.evidence,
        message: `Job ${jobId} (${trigger}) checks out pull request code${privileged ? ' while secrets or a write token are available' : ''}`,
      });
    }
  }

  // A workflow only reachable through workflow_call inherits its caller's token permissions.
  const reusableOnly = on.size > 0 && [...on].every((x) => x === 'workflow_call');
  if (!topPermsPresent && withoutPermissions.length > 0 && !reusableOnly) {
    const jobsKey = t.entries(root).find((e) => e.key === 'jobs')?.keyNode;
    t.ctx.report({
      ruleId: RULE.missingPermissions,
      line: t.line(jobsKey),
      evidence: `no permissions: block (jobs: ${withoutPermissions.slice(0, 5).join(', ')}${withoutPermissions.length > 5 ? ', …' : ''})`,
    });
  }
  reportUnpinned(t, uses);
}

/** Composite actions (action.yml): their steps run inside every caller's job. */
function analyzeAction(t: Tree, root: N): void {
  const runs = t.get(root, 'runs');
  if (t.str(t.get(runs, 'using'))?.toLowerCase() !== 'composite') return;
  const uses = new Map<string, { line: number; pin: Pin; count: number }>();
  checkSteps(t, t.items(t.get(runs, 'steps')), { secretEnv: new Set() }, uses, false);
  reportUnpinned(t, uses);
}

function checkFile(t: Tree, root: N): void {
  if (WORKFLOW_PATH.test(t.ctx.path)) analyzeWorkflow(t, root);
  else analyzeAction(t, root);
}

/** The analysis over the `yaml` AST: exact lines and messages. Every file went this way before the fast pass. */
function analyzeExact(ctx: PostureContext): void {
  const doc = parse(ctx);
  if (!doc) return;
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return; // empty file
  if (!isMap(root)) {
    ctx.malformed('not a YAML mapping');
    return;
  }
  checkFile(new AstTree(doc, ctx), root);
}

/**
 * Findings that the text all but announces: an action used by tag or branch, or a workflow without a
 * `permissions` key. Most workflows in the wild have one; for them the fast pass would only find
 * something and parse again, so they go straight to the exact pass. A guess that picks the path, never
 * a result: both paths give the same.
 */
const UNPINNED_USES = /^[ \t-]*uses:[ \t]*["']?(?!\.{0,2}\/|docker:)[^\s"'#@]+@(?![0-9a-fA-F]{40}(?![\w.-]))/m;
const PERMISSIONS_KEY = /\bpermissions["']?\s*:/;

function likelyFinding(ctx: PostureContext): boolean {
  if (UNPINNED_USES.test(ctx.text)) return true;
  // A reusable workflow inherits its caller's permissions; it need not name any.
  return WORKFLOW_PATH.test(ctx.path) && !PERMISSIONS_KEY.test(ctx.text) && !ctx.text.includes('workflow_call');
}

/**
 * Whether js-yaml's reading of the file settles it: one document, empty or a mapping, on which the
 * checks report nothing. Anchors are fine: both trees follow aliases and merge keys.
 */
function settledFast(ctx: PostureContext): boolean {
  if (likelyFinding(ctx)) return false;
  const fast = loadFast(ctx.text, { schema: YAML_CORE });
  // More than one document is an error for the exact pass (it reads one); it reports that.
  if (!fast.ok || fast.docs.length > 1) return false;
  const root = fast.docs[0];
  if (root === undefined || root === null || root === '') return true; // empty file
  return isPlainMap(root) && quietOn(ctx, (probe) => checkFile(new ValueTree(probe), root));
}

/**
 * The whole analysis over js-yaml's tree with start offsets (yaml-fast.ts, `PositionedTree`): the exact
 * pass's findings, lines and messages at js-yaml's speed, for one document that is empty or a mapping.
 * False when that tree cannot be had or cannot answer a check (a finding's evidence taken from the
 * source text, the line of an empty value), `refused` when js-yaml refuses the text (so would the fast
 * pass): nothing was reported then.
 */
function analyzePositioned(ctx: PostureContext): boolean | 'refused' {
  const roots = parsePositionedTree(ctx.text);
  if (roots === null) return 'refused';
  // More than one document is an error for the exact pass (it reads one); it reports that.
  if (roots === undefined || roots.length > 1) return false;
  const root = roots[0];
  if (root === undefined || (root.kind === 'scalar' && (root.value === null || root.value === ''))) return true; // empty file
  if (root.kind !== 'map') return false;
  return settledPositioned(ctx, (recorder) => checkFile(new PositionedTree(recorder), root));
}

/**
 * GitHub Actions workflows (`.github/workflows/*.yml`) and composite actions (`action.yml`).
 * @example await analyzePosture('.github/workflows/deploy.yml', text, { analyzers: [githubActionsAnalyzer] })
 */
export const githubActionsAnalyzer: PostureAnalyzer = {
  id: 'github-actions',
  accepts: (path) => WORKFLOW_PATH.test(path) || ACTION_PATH.test(path),
  analyze(ctx) {
    const positioned = analyzePositioned(ctx);
    if (positioned === true) return;
    if (positioned === 'refused' || !settledFast(ctx)) analyzeExact(ctx);
  },
};

/** The same analyzer without the fast pass: for tests that hold the two to the same results. */
export const githubActionsExactAnalyzer: PostureAnalyzer = { ...githubActionsAnalyzer, analyze: analyzeExact };
