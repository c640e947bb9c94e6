import { analyzeCloudIdentity, CLOUD_RELEVANT } from './cloud-identity.js';
import { MAX_HCL_NESTING, nestingDepth, parseHcl } from './hcl.js';
import {
  adminAttachmentIssue,
  adminManagedPolicy,
  checkPolicy,
  IAM_RULES,
  type IamIssue,
  normalizePolicy,
  type PolicyDocument,
  parseLenientJson,
  type StatementField,
  toTexts,
} from './iam.js';
import type { PostureAnalyzer, PostureContext } from './types.js';

/** Files above this size are skipped as malformed: hand-written Terraform is far smaller. */
const MAX_BYTES = 2 * 1024 * 1024;
/** Extra hcl2json runs per file for `jsonencode(…)` expressions (about 5 ms each). */
const MAX_SUBPARSES = 200;
/** Only files that can hold something these checks read are parsed at all. */
const RELEVANT = /aws_iam_|provider\s+"aws"|:iam::aws:policy\//;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** hcl2json gives every block as a list of instances. */
const blocks = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? [v] : []);
const labelled = (v: unknown): [string, Obj][] =>
  isObj(v) ? Object.entries(v).flatMap(([name, inst]) => blocks(inst).map((b) => [name, b] as [string, Obj])) : [];

/** State shared while analyzing one file. */
interface Env {
  ctx: PostureContext;
  locals: Obj;
  /** `data "aws_iam_policy" "x"` blocks naming an administrator-equivalent managed policy. */
  adminData: Map<string, string>;
  subparses: number;
  /** Offsets of top-level block headers, to bound text searches to one block. */
  headers: number[];
}

// ---------------------------------------------------------------------------------------------
// Values

/** The expression inside `"${…}"` when the whole string is one interpolation, else undefined. */
export function wholeInterpolation(s: string): string | undefined {
  if (!s.startsWith('${') || !s.endsWith('}')) return undefined;
  let depth = 0;
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i === s.length - 1 ? s.slice(2, -1).trim() : undefined;
  }
  return undefined;
}

/**
 * Evaluates an HCL expression to JSON by parsing `v = <expr>` with hcl2json, which turns object and
 * tuple expressions into JSON and leaves references as `"${…}"` strings.
 */
async function hclValue(env: Env, expr: string): Promise<unknown> {
  if (env.subparses++ >= MAX_SUBPARSES || nestingDepth(expr) > MAX_HCL_NESTING) return undefined;
  try {
    const out = await parseHcl('expression.tf', `v = ${expr}\n`);
    return out.v;
  } catch {
    return undefined; // an expression we cannot read (functions, for-expressions): not checkable
  }
}

/** A resolved policy document and, when it came from a local, that local's name (to place findings). */
interface Resolved {
  value: unknown;
  local?: string;
}

/**
 * A policy attribute's document: heredoc or quoted JSON, `jsonencode({...})`, or a local holding
 * either. `data.aws_iam_policy_document.x.json` references resolve to nothing (those blocks are
 * checked where they are declared), as do `file()`/`templatefile()` (the iam-json analyzer reads the file).
 */
async function resolveDocument(env: Env, v: unknown, depth = 0, local?: string): Promise<Resolved | undefined> {
  if (depth > 4) return undefined;
  const found = (value: unknown): Resolved => (local === undefined ? { value } : { value, local });
  if (isObj(v)) return found(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const expr = wholeInterpolation(s);
  if (expr !== undefined) {
    const enc = /^jsonencode\(([\s\S]*)\)$/.exec(expr);
    if (enc) return resolveDocument(env, await hclValue(env, enc[1]!), depth + 1, local);
    const ref = /^local\.([\w-]+)$/.exec(expr);
    if (ref) return resolveDocument(env, env.locals[ref[1]!], depth + 1, ref[1]!);
    return undefined;
  }
  if (!s.startsWith('{')) return undefined;
  const json = parseLenientJson(s);
  return json.ok ? found(json.value) : undefined;
}

/** A managed policy ARN value resolved through locals and `data "aws_iam_policy"` blocks. */
function resolveArn(env: Env, v: string): string {
  const expr = wholeInterpolation(v);
  if (expr === undefined) return v;
  const data = /^data\.aws_iam_policy\.([\w-]+)\.arn$/.exec(expr);
  if (data) return env.adminData.get(data[1]!) ?? v;
  const local = /^local\.([\w-]+)$/.exec(expr);
  if (local && typeof env.locals[local[1]!] === 'string') return env.locals[local[1]!] as string;
  return v;
}

/**
 * `data "aws_iam_policy_document"` in IAM JSON form. Terraform defaults effect to Allow; dynamic
 * "statement" blocks contribute their content (values then are references we cannot see through).
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
 */
function fromPolicyDocumentBlock(block: Obj): { doc: Obj; staticCount: number } {
  const principals = (v: unknown): unknown => {
    const out: Record<string, string[]> = {};
    for (const p of blocks(v)) {
      const type = typeof p.type === 'string' ? p.type : '?';
      const ids = toTexts(p.identifiers);
      if (type === '*') return '*';
      out[type] = [...(out[type] ?? []), ...ids];
    }
    return out;
  };
  // `dynamic "condition"` / `dynamic "principals"` inside a statement: their content blocks count
  // like static ones (an optional sts:ExternalId condition must not be missed).
  const withDynamic = (st: Obj, name: string): Obj[] => [
    ...blocks(st[name]),
    ...blocks(st.dynamic)
      .flatMap((d) => blocks(d[name]))
      .flatMap((d) => blocks(d.content)),
  ];
  const convert = (st: Obj): Obj => {
    const s: Obj = { Effect: st.effect ?? 'Allow' };
    if (st.actions !== undefined) s.Action = st.actions;
    if (st.not_actions !== undefined) s.NotAction = st.not_actions;
    if (st.resources !== undefined) s.Resource = st.resources;
    if (st.not_resources !== undefined) s.NotResource = st.not_resources;
    const ps = withDynamic(st, 'principals');
    if (ps.length > 0) s.Principal = principals(ps);
    const nps = withDynamic(st, 'not_principals');
    if (nps.length > 0) s.NotPrincipal = principals(nps);
    const conditions = withDynamic(st, 'condition');
    if (conditions.length > 0) {
      const cond: Record<string, Record<string, string[]>> = {};
      for (const c of conditions) {
        const test = typeof c.test === 'string' ? c.test : '?';
        const variable = typeof c.variable === 'string' ? c.variable : '?';
        cond[test] ??= {};
        const byKey = cond[test];
        byKey[variable] = [...(byKey[variable] ?? []), ...toTexts(c.values)];
      }
      s.Condition = cond;
    }
    return s;
  };
  const statics = blocks(block.statement).map(convert);
  const dynamics = blocks(block.dynamic)
    .flatMap((d) => blocks(d.statement))
    .flatMap((d) => blocks(d.content))
    .map(convert);
  return { doc: { Statement: [...statics, ...dynamics] }, staticCount: statics.length };
}

// ---------------------------------------------------------------------------------------------
// Locating (hcl2json keeps no positions: search the block's own text)

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function blockRange(env: Env, header: RegExp, nth = 0): { start: number; end: number } | undefined {
  const re = new RegExp(header.source, 'gm');
  let m: RegExpExecArray | null = null;
  for (let i = 0; i <= nth; i++) {
    m = re.exec(env.ctx.text);
    if (!m) return undefined;
  }
  const start = m!.index;
  const end = env.headers.find((h) => h > start) ?? env.ctx.text.length;
  return { start, end };
}

const FIELD_NAMES: Record<StatementField, string> = {
  Action: 'Action|actions',
  NotAction: 'NotAction|not_actions',
  Resource: 'Resource|resources',
  NotResource: 'NotResource|not_resources',
  Principal: 'Principal|principals|identifiers|AWS|Federated',
  NotPrincipal: 'NotPrincipal|not_principals',
  Condition: 'Condition|condition|values',
};

/** Offset of the n-th statement inside a block: `statement {` in HCL, `Effect` in JSON forms. */
function statementStart(text: string, from: number, to: number, index: number, dataDoc: { staticCount: number } | undefined) {
  let re: RegExp;
  let n = index;
  if (dataDoc && index >= dataDoc.staticCount) {
    re = /\bdynamic\s+"statement"/g;
    n = index - dataDoc.staticCount;
  } else re = dataDoc ? /\bstatement\s*\{/g : /"?\bEffect"?\s*[:=]/g;
  re.lastIndex = from;
  let at = from;
  for (let i = 0; i <= n; i++) {
    const m = re.exec(text);
    if (!m || m.index >= to) return from;
    at = m.index;
  }
  return at;
}

/** Line of an issue inside a block's text: the quoted value on its field's line, the value, or the field. */
function locate(env: Env, range: { start: number; end: number }, issue: IamIssue, dataDoc?: { staticCount: number }): number {
  const { text } = env.ctx;
  const from = issue.statement >= 0 ? statementStart(text, range.start, range.end, issue.statement, dataDoc) : range.start;
  const body = text.slice(from, range.end);
  const fieldRe = issue.field ? new RegExp(`\\b"?(?:${FIELD_NAMES[issue.field]})"?\\s*[:=]`) : undefined;
  const tries: RegExp[] = [];
  if (issue.value !== undefined) {
    const q = escapeRe(JSON.stringify(issue.value));
    if (fieldRe) tries.push(new RegExp(`${fieldRe.source}[^\\n]*${q}`));
    tries.push(new RegExp(q), new RegExp(escapeRe(issue.value)));
  }
  if (fieldRe) tries.push(fieldRe);
  for (const re of tries) {
    const m = re.exec(body);
    if (m) return env.ctx.lineOf(from + m.index);
  }
  return env.ctx.lineOf(from);
}

// ---------------------------------------------------------------------------------------------
// Checks

function reportIssues(
  env: Env,
  doc: PolicyDocument,
  range: { start: number; end: number } | undefined,
  dataDoc?: { staticCount: number },
): void {
  for (const issue of checkPolicy(doc)) {
    const line = range ? locate(env, range, issue, dataDoc) : 1;
    env.ctx.report({ ruleId: issue.ruleId, line, evidence: issue.evidence, message: issue.message });
  }
}

async function checkPolicyAttribute(env: Env, value: unknown, range: { start: number; end: number } | undefined) {
  const resolved = await resolveDocument(env, value);
  const doc = normalizePolicy(resolved?.value);
  if (!doc) return;
  // A policy kept in a local is reported where the local is defined, not at each use.
  const at = resolved?.local !== undefined ? localRange(env, resolved.local) : range;
  reportIssues(env, doc, at ?? range);
}

function localRange(env: Env, name: string): { start: number; end: number } | undefined {
  const m = new RegExp(`^[ \\t]*${escapeRe(name)}[ \\t]*=`, 'm').exec(env.ctx.text);
  if (!m) return undefined;
  return { start: m.index, end: env.headers.find((h) => h > m.index) ?? env.ctx.text.length };
}

function checkManagedArns(env: Env, values: unknown, range: { start: number; end: number } | undefined): void {
  for (const raw of toTexts(values)) {
    const name = adminManagedPolicy(resolveArn(env, raw));
    if (!name) continue;
    const issue = adminAttachmentIssue(name);
    const needle = raw.includes(name) ? name : raw;
    const line = range ? locate(env, range, { ...issue, value: needle }) : 1;
    env.ctx.report({ ruleId: issue.ruleId, line, evidence: issue.evidence, message: issue.message });
  }
}

const header = (kind: 'resource' | 'data', type: string, name: string): RegExp =>
  new RegExp(`^[ \\t]*${kind}[ \\t]+"${escapeRe(type)}"[ \\t]+"${escapeRe(name)}"`);

const POLICY_RESOURCES = ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'];
const ATTACHMENTS = [
  'aws_iam_role_policy_attachment',
  'aws_iam_user_policy_attachment',
  'aws_iam_group_policy_attachment',
  'aws_iam_policy_attachment',
];

async function analyzeHcl(env: Env, hcl: Obj): Promise<void> {
  const { ctx } = env;
  const resource = isObj(hcl.resource) ? hcl.resource : {};
  const data = isObj(hcl.data) ? hcl.data : {};

  for (const [name, block] of labelled(data.aws_iam_policy)) {
    const arn = typeof block.arn === 'string' ? block.arn : typeof block.name === 'string' ? block.name : '';
    const admin = adminManagedPolicy(arn);
    if (admin) env.adminData.set(name, arn);
  }

  for (const [name, block] of labelled(data.aws_iam_policy_document)) {
    const converted = fromPolicyDocumentBlock(block);
    const doc = normalizePolicy(converted.doc);
    if (doc) reportIssues(env, doc, blockRange(env, header('data', 'aws_iam_policy_document', name)), converted);
  }

  for (const type of POLICY_RESOURCES) {
    for (const [name, block] of labelled(resource[type])) {
      await checkPolicyAttribute(env, block.policy, blockRange(env, header('resource', type, name)));
    }
  }

  for (const [name, block] of labelled(resource.aws_iam_role)) {
    const range = blockRange(env, header('resource', 'aws_iam_role', name));
    await checkPolicyAttribute(env, block.assume_role_policy, range);
    for (const inline of blocks(block.inline_policy)) await checkPolicyAttribute(env, inline.policy, range);
    checkManagedArns(env, block.managed_policy_arns, range);
  }

  for (const type of ATTACHMENTS) {
    for (const [name, block] of labelled(resource[type])) {
      checkManagedArns(env, block.policy_arn, blockRange(env, header('resource', type, name)));
    }
  }
  for (const [name, block] of labelled(resource.aws_iam_role_policy_attachments_exclusive)) {
    checkManagedArns(
      env,
      block.policy_arns,
      blockRange(env, header('resource', 'aws_iam_role_policy_attachments_exclusive', name)),
    );
  }

  for (const [name, block] of labelled(resource.aws_iam_access_key)) {
    // An inactive key cannot sign requests; any other key is a long-lived user credential (NHI7).
    if (typeof block.status === 'string' && block.status.toLowerCase() === 'inactive') continue;
    const range = blockRange(env, header('resource', 'aws_iam_access_key', name));
    ctx.report({
      ruleId: IAM_RULES.accessKey,
      line: range ? ctx.lineOf(range.start) : 1,
      evidence: `aws_iam_access_key.${name}`,
      message: `aws_iam_access_key.${name} creates a long-lived IAM user access key`,
    });
  }

  // Provider blocks with access_key/secret_key run Terraform on a static user key. Only the
  // attribute names go into the evidence, never their values.
  const providers = isObj(hcl.provider) ? blocks(hcl.provider.aws) : [];
  for (const [i, p] of providers.entries()) {
    const keys = ['access_key', 'secret_key'].filter((k) => typeof p[k] === 'string' && (p[k] as string).trim() !== '');
    if (keys.length === 0) continue;
    const range = blockRange(env, /^[ \t]*provider[ \t]+"aws"/, i);
    const keyLine = range ? ctx.findLine(new RegExp(`\\b${keys[0]}\\s*=`), ctx.lineOf(range.start)) : 1;
    ctx.report({
      ruleId: IAM_RULES.terraformProviderKeys,
      line: keyLine,
      evidence: `provider "aws": ${keys.join(', ')} set`,
      message: `The AWS provider is configured with ${keys.join(' and ')}: a long-lived access key`,
    });
  }

  // Modules (terraform-aws-modules/iam and the like) take managed policy ARNs as arguments.
  for (const [name, block] of labelled(hcl.module)) {
    const seen = new Set<string>();
    const visit = (v: unknown, depth: number): void => {
      if (depth > 4) return;
      if (typeof v === 'string') {
        const policy = v.includes(':iam::aws:policy/') ? adminManagedPolicy(v) : undefined;
        if (policy) seen.add(v);
      } else if (Array.isArray(v)) {
        for (const x of v.slice(0, 200)) visit(x, depth + 1);
      } else if (isObj(v)) {
        for (const x of Object.values(v)) visit(x, depth + 1);
      }
    };
    visit(block, 0);
    if (seen.size > 0) {
      checkManagedArns(env, [...seen], blockRange(env, new RegExp(`^[ \\t]*module[ \\t]+"${escapeRe(name)}"`)));
    }
  }
}

/** A one-line reason from hcl2json's error, without the temporary file name noise. */
function hclReason(err: unknown): string {
  const msg = String((err as Error)?.message ?? err)
    .replace(/^parse config:\s*/, '')
    .replace(/^\[|\]$/g, '');
  return `invalid HCL: ${msg.split('\n')[0]!.slice(0, 300)}`;
}

/**
 * Terraform (HCL2) files: IAM policies in every form Terraform writes them (heredoc JSON,
 * `jsonencode`, `aws_iam_policy_document` data sources, locals), role trust policies, managed
 * policy attachments, IAM user access keys and static provider credentials; GCP and Azure identity
 * grants, keys and federation (cloud-identity.ts) over the same parse.
 */
export const terraformAnalyzer: PostureAnalyzer = {
  id: 'terraform',
  accepts: (path) => /\.tf$/i.test(path),
  async analyze(ctx) {
    const aws = RELEVANT.test(ctx.text);
    const cloud = CLOUD_RELEVANT.test(ctx.text);
    if (!aws && !cloud) return;
    if (ctx.text.length > MAX_BYTES) {
      ctx.malformed(`Terraform file larger than ${MAX_BYTES / 1024 / 1024} MiB, not analyzed`);
      return;
    }
    const depth = nestingDepth(ctx.text);
    if (depth > MAX_HCL_NESTING) {
      ctx.malformed(`nesting deeper than ${MAX_HCL_NESTING} levels, not parsed`);
      return;
    }
    let hcl: Obj;
    try {
      hcl = (await parseHcl(ctx.path.split('/').pop() || 'main.tf', ctx.text)) as Obj;
    } catch (err) {
      ctx.malformed(hclReason(err));
      return;
    }
    const headers: number[] = [];
    const re = /^(?:resource|data|module|locals|provider|variable|output|terraform|moved|import|check|removed)\b/gm;
    for (let m = re.exec(ctx.text); m; m = re.exec(ctx.text)) headers.push(m.index);
    const locals: Obj = {};
    for (const l of blocks(hcl.locals)) Object.assign(locals, l);
    if (aws) await analyzeHcl(env(ctx, locals, headers), hcl);
    if (cloud) analyzeCloudIdentity({ ctx, headers }, hcl);
  },
};

function env(ctx: PostureContext, locals: Obj, headers: number[]): Env {
  return { ctx, locals, adminData: new Map(), subparses: 0, headers };
}
