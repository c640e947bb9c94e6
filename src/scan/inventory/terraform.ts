import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { MAX_HCL_NESTING, nestingDepth, parseHcl } from '../posture/hcl.js';
import { normalizePolicy, type PolicyDocument, parseLenientJson, toTexts } from '../posture/iam.js';
import { wholeInterpolation } from '../posture/terraform.js';
import {
  attachmentRelations,
  grantRelations,
  managedPolicyNode,
  normalizeIamArn,
  type PolicyField,
  type PolicySite,
  trustRelations,
} from './aws.js';
import {
  awsRoleArn,
  awsUserArn,
  credentialRelation,
  isObj,
  k8sServiceAccountId,
  lifetimeSeconds,
  lines,
  node,
  type Obj,
  ownerRelations,
  relation,
  text,
} from './common.js';
import type { InventoryExtractor } from './types.js';
import { pathLineFinder, vaultPathRules, vaultRelations } from './vault.js';

/**
 * Terraform (HCL2): AWS IAM roles, users and policies in every form Terraform writes policies
 * (heredoc JSON, `jsonencode`, `aws_iam_policy_document` data sources, locals), attachments, role
 * trust policies; the role a Lambda function, ECS task or EC2 instance runs as (workload
 * `terraform:<address>`); Vault `vault_policy` resources and Kubernetes auth roles.
 *
 * A role or user is `arn:aws:iam::*:role/<name>` with its literal `name`, else its resource label.
 * References to resources of the same file resolve (`aws_iam_role.x.arn`, `aws_iam_policy.x.arn`,
 * `aws_s3_bucket.x.arn` with a literal bucket name); other references stay as written.
 */

const MAX_BYTES = 2 * 1024 * 1024;
/** Extra hcl2json runs per file for `jsonencode(…)` expressions and `vault_policy` bodies. */
const MAX_SUBPARSES = 100;
const RELEVANT =
  /\b(?:aws_iam_|aws_lambda_function|aws_ecs_task_definition|aws_instance|vault_policy|vault_kubernetes_auth_backend_role)/;

/** hcl2json gives every block as a list of instances. */
const blocks = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? [v] : []);
const labelled = (v: unknown): [string, Obj][] =>
  isObj(v) ? Object.entries(v).flatMap(([name, inst]) => blocks(inst).map((b) => [name, b] as [string, Obj])) : [];
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Range {
  start: number;
  end: number;
}

interface Env {
  path: string;
  body: string;
  lineOf(offset: number): number;
  findLine(needle: string | RegExp, fromLine?: number): number;
  headers: number[];
  locals: Obj;
  subparses: number;
  roles: Map<string, InventoryNode>;
  users: Map<string, InventoryNode>;
  policies: Map<string, InventoryNode>;
  buckets: Map<string, string>;
  profiles: Map<string, unknown>;
  dataArns: Map<string, string>;
  dataDocs: Map<string, Obj>;
  vaultPolicies: Map<string, string>;
}

function rangeOf(env: Env, kind: 'resource' | 'data', type: string, name: string): Range | undefined {
  const m = new RegExp(`^[ \\t]*${kind}[ \\t]+"${escapeRe(type)}"[ \\t]+"${escapeRe(name)}"`, 'm').exec(env.body);
  if (!m) return undefined;
  return { start: m.index, end: env.headers.find((h) => h > m.index) ?? env.body.length };
}

/** Offset of the first `needle` inside `range` at or after `fromOffset`, or undefined. */
function findIn(env: Env, range: Range, needle: string | RegExp, fromOffset = range.start): number | undefined {
  const from = Math.max(range.start, fromOffset);
  let at: number;
  if (typeof needle === 'string') at = env.body.indexOf(needle, from);
  else {
    const re = new RegExp(needle.source, needle.flags.includes('g') ? needle.flags : `${needle.flags}g`);
    re.lastIndex = from;
    at = re.exec(env.body)?.index ?? -1;
  }
  return at >= 0 && at < range.end ? at : undefined;
}

/** Line of the first of `needles` found inside `range` (from `fromOffset`), else of `fromOffset`, else 1. */
function lineIn(
  env: Env,
  range: Range | undefined,
  needles: string | RegExp | Array<string | RegExp> = [],
  fromOffset?: number,
): number {
  if (!range) return 1;
  for (const needle of Array.isArray(needles) ? needles : [needles]) {
    const at = findIn(env, range, needle, fromOffset);
    if (at !== undefined) return env.lineOf(at);
  }
  return env.lineOf(Math.max(range.start, fromOffset ?? range.start));
}

/** Replaces references this file can answer (`aws_iam_role.x.arn`, caller identity, partition…) by text. */
function resolveText(env: Env, s: string): string {
  if (!s.includes('${')) return s;
  return s.replace(/\$\{([^{}"]+)\}/g, (whole, inner: string) => {
    const expr = inner.trim();
    let m = /^aws_iam_(role|user)\.([\w-]+)\.arn$/.exec(expr);
    if (m) return (m[1] === 'role' ? env.roles : env.users).get(m[2]!)?.id ?? whole;
    m = /^aws_iam_policy\.([\w-]+)\.(?:arn|id)$/.exec(expr);
    if (m) {
      const p = env.policies.get(m[1]!);
      return p ? `arn:aws:iam::*:policy/${p.label ?? p.id.slice('aws-policy:'.length)}` : whole;
    }
    m = /^aws_s3_bucket\.([\w-]+)\.arn$/.exec(expr);
    if (m) {
      const b = env.buckets.get(m[1]!);
      return b ? `arn:aws:s3:::${b}` : whole;
    }
    m = /^data\.aws_iam_policy\.([\w-]+)\.arn$/.exec(expr);
    if (m) return env.dataArns.get(m[1]!) ?? whole;
    if (/^data\.aws_caller_identity\.[\w-]+\.account_id$/.test(expr)) return '*';
    if (/^data\.aws_partition\.[\w-]+\.partition$/.test(expr)) return 'aws';
    if (/^data\.aws_region\.[\w-]+\.(?:name|id|region)$/.test(expr)) return '*';
    m = /^local\.([\w-]+)$/.exec(expr);
    if (m && typeof env.locals[m[1]!] === 'string' && !(env.locals[m[1]!] as string).includes('${'))
      return env.locals[m[1]!] as string;
    return whole;
  });
}

const texts = (env: Env, raw: unknown): string[] => toTexts(raw).map((s) => resolveText(env, s));

/** A role or user named by an attribute: a reference to a resource of this file, an ARN or a name. */
function identityRef(env: Env, raw: unknown, kind: 'role' | 'user'): InventoryNode | undefined {
  const s = text(raw)?.trim();
  if (!s) return undefined;
  const expr = wholeInterpolation(s);
  const m = expr === undefined ? null : /^aws_iam_(role|user)\.([\w-]+)\.(?:arn|name|id|unique_id)$/.exec(expr);
  if (m) return (m[1] === 'role' ? env.roles : env.users).get(m[2]!);
  const v = resolveText(env, s);
  if (v.startsWith('arn:')) {
    const id = normalizeIamArn(v);
    return id === undefined ? undefined : node('identity', id);
  }
  if (v.includes('${') || v.includes('/')) return undefined;
  return node('identity', kind === 'role' ? awsRoleArn(v) : awsUserArn(v), v);
}

function policyRef(env: Env, raw: unknown): InventoryNode | undefined {
  const s = text(raw)?.trim();
  if (!s) return undefined;
  const m = /^aws_iam_policy\.([\w-]+)\.(?:arn|id)$/.exec(wholeInterpolation(s) ?? '');
  if (m) return env.policies.get(m[1]!);
  return managedPolicyNode(resolveText(env, s));
}

/** Evaluates an HCL expression to JSON by parsing `v = <expr>` (object and tuple expressions become JSON). */
async function hclValue(env: Env, expr: string): Promise<unknown> {
  if (env.subparses++ >= MAX_SUBPARSES || nestingDepth(expr) > MAX_HCL_NESTING) return undefined;
  try {
    return (await parseHcl('expression.tf', `v = ${expr}\n`)).v;
  } catch {
    return undefined;
  }
}

interface Resolved {
  doc: PolicyDocument;
  /** Where the statements are written: the attribute's block, a local or a data source. */
  range: Range | undefined;
  /** Statements are HCL `statement { }` blocks (a data source), else JSON objects with `Effect`. */
  hcl: boolean;
}

/** `data "aws_iam_policy_document"` as IAM JSON; Terraform defaults effect to Allow. */
function fromPolicyDocumentBlock(block: Obj): Obj {
  const principals = (v: unknown): unknown => {
    const out: Record<string, string[]> = {};
    for (const p of blocks(v)) {
      const type = text(p.type) ?? '?';
      if (type === '*') return '*';
      out[type] = [...(out[type] ?? []), ...toTexts(p.identifiers)];
    }
    return out;
  };
  const statements = blocks(block.statement).map((st) => {
    const s: Obj = { Effect: st.effect ?? 'Allow' };
    if (st.actions !== undefined) s.Action = st.actions;
    if (st.not_actions !== undefined) s.NotAction = st.not_actions;
    if (st.resources !== undefined) s.Resource = st.resources;
    if (st.not_resources !== undefined) s.NotResource = st.not_resources;
    if (st.principals !== undefined) s.Principal = principals(st.principals);
    const conditions = blocks(st.condition);
    if (conditions.length > 0) {
      const cond: Record<string, Record<string, string[]>> = {};
      for (const c of conditions) {
        const test = text(c.test) ?? '?';
        const variable = text(c.variable) ?? '?';
        cond[test] ??= {};
        cond[test][variable] = [...(cond[test][variable] ?? []), ...toTexts(c.values)];
      }
      s.Condition = cond;
    }
    return s;
  });
  return { Statement: statements };
}

async function resolveDocument(env: Env, v: unknown, range: Range | undefined, depth = 0): Promise<Resolved | undefined> {
  if (depth > 4) return undefined;
  const found = (value: unknown, at: Range | undefined, hcl = false): Resolved | undefined => {
    const doc = normalizePolicy(value);
    return doc ? { doc, range: at, hcl } : undefined;
  };
  if (isObj(v)) return found(v, range);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const expr = wholeInterpolation(s);
  if (expr !== undefined) {
    const enc = /^jsonencode\(([\s\S]*)\)$/.exec(expr);
    if (enc) return resolveDocument(env, await hclValue(env, enc[1]!), range, depth + 1);
    const local = /^local\.([\w-]+)$/.exec(expr);
    if (local) {
      const m = new RegExp(`^[ \\t]*${escapeRe(local[1]!)}[ \\t]*=`, 'm').exec(env.body);
      const at = m ? { start: m.index, end: env.headers.find((h) => h > m.index) ?? env.body.length } : range;
      return resolveDocument(env, env.locals[local[1]!], at, depth + 1);
    }
    const data = /^data\.aws_iam_policy_document\.([\w-]+)\.json$/.exec(expr);
    const block = data ? env.dataDocs.get(data[1]!) : undefined;
    if (data && block)
      return found(fromPolicyDocumentBlock(block), rangeOf(env, 'data', 'aws_iam_policy_document', data[1]!), true);
    return undefined;
  }
  if (!s.startsWith('{')) return undefined;
  const json = parseLenientJson(s);
  return json.ok ? found(json.value, range) : undefined;
}

/** A statement field as HCL (data source) or JSON (heredoc, jsonencode) writes it. */
const FIELD_RE: Record<PolicyField, RegExp> = {
  Action: /\b"?(?:Action|actions)"?\s*[:=]/,
  Resource: /\b"?(?:Resource|resources)"?\s*[:=]/,
  Principal: /\b"?(?:AWS|Service|Federated|identifiers|Principal)"?\s*[:=]/,
  Condition: /\b"?(?:values|Condition)"?\s*[:=]/,
};

/** Places statement fields by searching the text where the statements are written. */
function site(env: Env, resolved: Resolved): PolicySite {
  const { range } = resolved;
  const statementStart = (index: number): number | undefined => {
    if (!range) return undefined;
    const re = resolved.hcl ? /\bstatement\s*\{/g : /"?\bEffect"?\s*[:=]/g;
    re.lastIndex = range.start;
    let at: number | undefined;
    for (let i = 0; i <= index; i++) {
      const m = re.exec(env.body);
      if (!m || m.index >= range.end) return at;
      at = m.index;
    }
    return at;
  };
  return {
    path: env.path,
    texts: (raw) => texts(env, raw),
    line(_s, index, field, value) {
      const from = statementStart(index);
      const needles: Array<string | RegExp> = value === undefined ? [] : [JSON.stringify(value), value];
      return lineIn(env, range, [...needles, FIELD_RE[field]], from);
    },
  };
}

async function grants(env: Env, holder: InventoryNode, v: unknown, range: Range | undefined): Promise<InventoryRelation[]> {
  const r = await resolveDocument(env, v, range);
  return r ? grantRelations(holder, r.doc, site(env, r)) : [];
}

function owners(env: Env, holder: InventoryNode, tags: unknown, range: Range | undefined): InventoryRelation[] {
  const entries = isObj(tags)
    ? Object.entries(tags).map(([k, v]): [string, unknown, number] => [
        k,
        v,
        lineIn(env, range, new RegExp(`\\b"?${escapeRe(k)}"?\\s*=`)),
      ])
    : [];
  return ownerRelations(holder, entries, env.path);
}

async function analyze(env: Env, hcl: Obj): Promise<InventoryRelation[]> {
  const resource = isObj(hcl.resource) ? hcl.resource : {};
  const data = isObj(hcl.data) ? hcl.data : {};
  const out: InventoryRelation[] = [];
  const rangeR = (type: string, name: string) => rangeOf(env, 'resource', type, name);

  // Names first, so references between resources resolve whatever their order.
  const literal = (v: unknown): string | undefined => {
    const s = text(v)?.trim();
    return s && !s.includes('${') ? s : undefined;
  };
  for (const [label, b] of labelled(resource.aws_iam_role)) {
    const name = literal(b.name) ?? label;
    env.roles.set(label, node('identity', awsRoleArn(name), name, { terraform: `aws_iam_role.${label}` }));
  }
  for (const [label, b] of labelled(resource.aws_iam_user)) {
    const name = literal(b.name) ?? label;
    env.users.set(label, node('identity', awsUserArn(name), name, { terraform: `aws_iam_user.${label}` }));
  }
  for (const [label, b] of labelled(resource.aws_iam_policy)) {
    const name = literal(b.name) ?? label;
    env.policies.set(label, node('policy', `aws-policy:${name}`, name, { terraform: `aws_iam_policy.${label}` }));
  }
  for (const [label, b] of labelled(resource.aws_s3_bucket)) {
    const name = literal(b.bucket);
    if (name) env.buckets.set(label, name);
  }
  for (const [label, b] of labelled(resource.aws_iam_instance_profile)) env.profiles.set(label, b.role);
  for (const [label, b] of labelled(data.aws_iam_policy)) {
    const arn = literal(b.arn) ?? (literal(b.name) ? `arn:aws:iam::aws:policy/${literal(b.name)}` : undefined);
    if (arn) env.dataArns.set(label, arn);
  }
  for (const [label, b] of labelled(data.aws_iam_policy_document)) env.dataDocs.set(label, b);
  for (const [label, b] of labelled(resource.vault_policy)) env.vaultPolicies.set(label, literal(b.name) ?? label);

  for (const [label, b] of labelled(resource.aws_iam_role)) {
    const role = env.roles.get(label)!;
    const range = rangeR('aws_iam_role', label);
    const trust = await resolveDocument(env, b.assume_role_policy, range);
    if (trust) out.push(...trustRelations(role, trust.doc, site(env, trust)));
    for (const inline of blocks(b.inline_policy)) out.push(...(await grants(env, role, inline.policy, range)));
    for (const arn of toTexts(b.managed_policy_arns)) {
      const policy = policyRef(env, arn);
      if (policy)
        out.push(
          ...attachmentRelations(role, policy, env.path, lineIn(env, range, [JSON.stringify(arn), /\bmanaged_policy_arns\s*=/])),
        );
    }
    out.push(...owners(env, role, b.tags, range));
  }
  for (const [label, b] of labelled(resource.aws_iam_user))
    out.push(...owners(env, env.users.get(label)!, b.tags, rangeR('aws_iam_user', label)));
  for (const [label, b] of labelled(resource.aws_iam_policy)) {
    out.push(...(await grants(env, env.policies.get(label)!, b.policy, rangeR('aws_iam_policy', label))));
  }
  for (const [type, kind] of [
    ['aws_iam_role_policy', 'role'],
    ['aws_iam_user_policy', 'user'],
  ] as const) {
    for (const [label, b] of labelled(resource[type])) {
      const holder = identityRef(env, b[kind], kind);
      if (holder) out.push(...(await grants(env, holder, b.policy, rangeR(type, label))));
    }
  }
  const attach = (identities: (InventoryNode | undefined)[], arns: unknown, range: Range | undefined): void => {
    for (const arn of toTexts(arns)) {
      const policy = policyRef(env, arn);
      const line = lineIn(env, range, /\bpolicy_arns?\s*=/);
      if (policy) for (const id of identities) if (id) out.push(...attachmentRelations(id, policy, env.path, line));
    }
  };
  for (const [label, b] of labelled(resource.aws_iam_role_policy_attachment)) {
    attach([identityRef(env, b.role, 'role')], b.policy_arn, rangeR('aws_iam_role_policy_attachment', label));
  }
  for (const [label, b] of labelled(resource.aws_iam_user_policy_attachment)) {
    attach([identityRef(env, b.user, 'user')], b.policy_arn, rangeR('aws_iam_user_policy_attachment', label));
  }
  for (const [label, b] of labelled(resource.aws_iam_policy_attachment)) {
    const ids = [
      ...toTexts(b.roles).map((r) => identityRef(env, r, 'role')),
      ...toTexts(b.users).map((u) => identityRef(env, u, 'user')),
    ];
    attach(ids, b.policy_arn, rangeR('aws_iam_policy_attachment', label));
  }
  for (const [label, b] of labelled(resource.aws_iam_role_policy_attachments_exclusive)) {
    attach([identityRef(env, b.role_name, 'role')], b.policy_arns, rangeR('aws_iam_role_policy_attachments_exclusive', label));
  }

  // Compute that runs as a role.
  const runsAs = (type: string, label: string, raw: unknown, attr: string, props?: Obj): void => {
    const role = identityRef(env, raw, 'role');
    if (!role) return;
    const range = rangeR(type, label);
    const workload = node('workload', `terraform:${type}.${label}`);
    out.push(relation('runs-as', workload, role, env.path, lineIn(env, range, new RegExp(`\\b${attr}\\s*=`)), props));
  };
  for (const [label, b] of labelled(resource.aws_lambda_function)) runsAs('aws_lambda_function', label, b.role, 'role');
  for (const [label, b] of labelled(resource.aws_ecs_task_definition)) {
    runsAs('aws_ecs_task_definition', label, b.task_role_arn, 'task_role_arn', { role: 'task' });
    runsAs('aws_ecs_task_definition', label, b.execution_role_arn, 'execution_role_arn', { role: 'execution' });
  }
  for (const [label, b] of labelled(resource.aws_instance)) {
    const m = /^aws_iam_instance_profile\.([\w-]+)\.(?:name|id|arn)$/.exec(
      wholeInterpolation(text(b.iam_instance_profile) ?? '') ?? '',
    );
    if (m && env.profiles.has(m[1]!)) runsAs('aws_instance', label, env.profiles.get(m[1]!), 'iam_instance_profile');
  }

  // Vault.
  for (const [label, b] of labelled(resource.vault_policy)) {
    const body = text(b.policy);
    if (!body || wholeInterpolation(body.trim()) !== undefined || env.subparses++ >= MAX_SUBPARSES) continue;
    let doc: unknown;
    try {
      doc = await parseHcl('policy.hcl', body);
    } catch {
      continue;
    }
    const name = env.vaultPolicies.get(label)!;
    const range = rangeR('vault_policy', label);
    const policy = node('policy', `vault-policy:${name}`, name, { terraform: `vault_policy.${label}` });
    const finder = pathLineFinder(
      (needle, from) => lineIn(env, range, needle, from === undefined ? undefined : lineStart(env, from)),
      1,
    );
    out.push(...vaultRelations(policy, vaultPathRules(doc), env.path, finder));
  }
  for (const [label, b] of labelled(resource.vault_kubernetes_auth_backend_role)) {
    const range = rangeR('vault_kubernetes_auth_backend_role', label);
    const names = toTexts(b.bound_service_account_names).filter((s) => !s.includes('${'));
    const namespaces = toTexts(b.bound_service_account_namespaces).filter((s) => !s.includes('${'));
    const policies = toTexts(b.token_policies ?? b.policies)
      .map((p) => {
        const m = /^vault_policy\.([\w-]+)\.(?:name|id)$/.exec(wholeInterpolation(p) ?? '');
        return m ? env.vaultPolicies.get(m[1]!) : p.includes('${') ? undefined : p;
      })
      .filter((p): p is string => p !== undefined);
    const line = lineIn(env, range, /\b(?:token_)?policies\s*=/);
    const props: Obj = { vaultRole: text(b.role_name) ?? label };
    for (const ns of namespaces) {
      for (const sa of names) {
        const identity = node('identity', k8sServiceAccountId(ns, sa), sa);
        for (const p of policies)
          out.push(relation('has-policy', identity, node('policy', `vault-policy:${p}`, p), env.path, line, props));
      }
    }
  }

  // Credentials the file creates or bounds: static access keys, role session and Vault token lifetimes.
  for (const [label, b] of labelled(resource.aws_iam_access_key)) {
    const user = identityRef(env, b.user, 'user');
    if (!user) continue;
    const range = rangeR('aws_iam_access_key', label);
    const line = lineIn(env, range, /\buser\s*=/);
    out.push(
      credentialRelation(user, `terraform:aws_iam_access_key.${label}`, { type: 'aws-access-key', static: true }, env.path, line),
    );
  }
  for (const [label, b] of labelled(resource.aws_iam_role)) {
    const secs = lifetimeSeconds(resolveText(env, text(b.max_session_duration) ?? ''));
    const role = env.roles.get(label);
    if (secs === undefined || !role) continue;
    const line = lineIn(env, rangeR('aws_iam_role', label), /\bmax_session_duration\s*=/);
    out.push(
      credentialRelation(
        role,
        `terraform:aws_iam_role.${label}`,
        { type: 'aws-role-session', static: false, lifetimeSeconds: secs },
        env.path,
        line,
      ),
    );
  }
  for (const [label, b] of labelled(resource.vault_kubernetes_auth_backend_role)) {
    const range = rangeR('vault_kubernetes_auth_backend_role', label);
    const ttl = lifetimeSeconds(b.token_max_ttl) ?? lifetimeSeconds(b.token_ttl) ?? lifetimeSeconds(b.ttl);
    const periodic = lifetimeSeconds(b.token_period) !== undefined;
    if (ttl === undefined && !periodic) continue;
    const line = lineIn(env, range, [/\btoken_period\s*=/, /\btoken_max_ttl\s*=/, /\btoken_ttl\s*=/]);
    for (const ns of toTexts(b.bound_service_account_namespaces).filter((s) => !s.includes('${'))) {
      for (const sa of toTexts(b.bound_service_account_names).filter((s) => !s.includes('${'))) {
        out.push(
          credentialRelation(
            node('identity', k8sServiceAccountId(ns, sa), sa),
            `terraform:vault_kubernetes_auth_backend_role.${label}`,
            // A periodic token renews forever: long-lived whatever its period.
            { type: 'vault-token', static: periodic, lifetimeSeconds: periodic ? undefined : ttl },
            env.path,
            line,
          ),
        );
      }
    }
  }
  return out;
}

/** Offset of the start of a 1-based line. */
function lineStart(env: Env, line: number): number {
  let at = 0;
  for (let l = 1; l < line && at >= 0; l++) at = env.body.indexOf('\n', at) + 1 || -1;
  return Math.max(0, at);
}

async function extract(path: string, body: string): Promise<InventoryRelation[]> {
  if (!RELEVANT.test(body) || body.length > MAX_BYTES || nestingDepth(body) > MAX_HCL_NESTING) return [];
  let hcl: Obj;
  try {
    hcl = (await parseHcl(path.split('/').pop() || 'main.tf', body)) as Obj;
  } catch {
    return [];
  }
  const headers: number[] = [];
  const re = /^(?:resource|data|module|locals|provider|variable|output|terraform|moved|import|check|removed)\b/gm;
  for (let m = re.exec(body); m; m = re.exec(body)) headers.push(m.index);
  const locals: Obj = {};
  for (const l of blocks(hcl.locals)) Object.assign(locals, l);
  const { lineOf, findLine } = lines(path, body);
  const env: Env = {
    path,
    body,
    lineOf,
    findLine,
    headers,
    locals,
    subparses: 0,
    roles: new Map(),
    users: new Map(),
    policies: new Map(),
    buckets: new Map(),
    profiles: new Map(),
    dataArns: new Map(),
    dataDocs: new Map(),
    vaultPolicies: new Map(),
  };
  return analyze(env, hcl);
}

/** Terraform files (`.tf`). */
export const terraformExtractor: InventoryExtractor = {
  id: 'terraform',
  accepts: (path) => /\.tf$/i.test(path),
  extract,
};
