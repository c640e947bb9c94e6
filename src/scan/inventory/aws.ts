import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { adminManagedPolicy, isTrustStatement, type PolicyDocument, type Statement, toTexts } from '../posture/iam.js';
import { isObj, node, type Obj, relation } from './common.js';

/**
 * AWS IAM relations shared by the Terraform, CloudFormation and IAM JSON extractors: grants of a
 * policy document (`can-access`), role trust policies (`assumes`, and `runs-as` for AWS services) and
 * managed policy attachments (`has-policy`). Formats differ in how references are written, so each
 * passes a `PolicySite` that turns raw values into text and places a statement's fields on lines.
 */

export type PolicyField = 'Action' | 'Resource' | 'Principal' | 'Condition';

export interface PolicySite {
  path: string;
  /** Raw element values as strings, references resolved as far as the format allows. */
  texts(raw: unknown): string[];
  /** 1-based line of a statement's field (and value within it, when given). */
  line(statement: Statement, index: number, field: PolicyField, value?: string): number;
}

/** Actions that grant everything, or every IAM action (which grants everything in one more step). */
const ADMIN_ACTIONS = new Set(['*', '*:*', 'iam:*']);

/** Whether a grant of `actions` on `resource` is administrator-equivalent. */
export function isAdminGrant(actions: readonly string[], resource: string): boolean {
  return resource.trim() === '*' && actions.some((a) => ADMIN_ACTIONS.has(a.trim().toLowerCase()));
}

/** IAM element lookup; hand-written policies sometimes lower-case element names. */
function field(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  return name in o ? o[name] : o[name.toLowerCase()];
}

/**
 * An IAM (role, user, root) ARN as an identity id: an interpolated partition or account (a variable,
 * `${AWS::AccountId}`) becomes `aws` / `*`; anything else still interpolated is unknowable: undefined.
 * @example normalizeIamArn('arn:aws:iam::${var.account}:role/ci') // 'arn:aws:iam::*:role/ci'
 */
export function normalizeIamArn(value: string): string | undefined {
  const s = value.trim();
  const m = /^arn:([^:]*):iam::([^:]*):(.+)$/.exec(s);
  if (!m) return s.includes('${') || s === '' ? undefined : s;
  if (m[3]!.includes('${')) return undefined;
  const partition = m[1]!.includes('${') || m[1] === '' ? 'aws' : m[1]!;
  const account = m[2]!.includes('${') || m[2] === '' ? '*' : m[2]!;
  return `arn:${partition}:iam::${account}:${m[3]}`;
}

/** An AWS principal as an identity id: an account id is its root ARN; `*` and references are skipped. */
export function awsPrincipalId(value: string): string | undefined {
  const s = value.trim();
  if (s === '' || s === '*') return undefined;
  if (/^\d{12}$/.test(s)) return `arn:aws:iam::${s}:root`;
  if (!s.startsWith('arn:')) return undefined; // an unresolved reference or a canonical user id
  return normalizeIamArn(s);
}

/**
 * Grants of a permissions policy: one `can-access` per Allow statement and Resource entry, from `src`
 * (the identity of an inline policy, or a managed policy node). A statement with a Principal is a
 * resource policy: its AWS principals hold the grant instead. NotResource grants reach `*`.
 */
export function grantRelations(src: InventoryNode, doc: PolicyDocument, site: PolicySite): InventoryRelation[] {
  const out: InventoryRelation[] = [];
  for (const [i, s] of doc.statements.entries()) {
    if (s.effect !== 'Allow' || isTrustStatement(s)) continue;
    if (!s.actions && !s.notActions) continue;
    // A resource that is one unresolved reference (`${var.arn}`, `${Fn::ImportValue}`) names nothing.
    const resources = site.texts(field(s.source, 'Resource')).filter((r) => !/^\$\{[^}]*\}$/.test(r.trim()));
    const targets = resources.length > 0 ? resources : s.notResources ? ['*'] : [];
    if (targets.length === 0) continue;
    const actions = [...(s.actions ?? [])];
    let holders = [src];
    if (s.principal) {
      const principal = field(s.source, 'Principal');
      holders = site
        .texts(isObj(principal) ? field(principal, 'AWS') : principal)
        .map(awsPrincipalId)
        .filter((id): id is string => id !== undefined)
        .map((id) => node('identity', id));
    }
    for (const r of targets) {
      const props: Obj = { actions, admin: isAdminGrant(actions, r) };
      if (s.notActions) props.notActions = [...s.notActions];
      if (s.notResources) props.notResources = [...s.notResources];
      if (s.conditions.length > 0) props.conditional = true;
      const line = site.line(s, i, 'Resource', resources.length > 0 ? r : undefined);
      for (const h of holders) out.push(relation('can-access', h, node('resource', r), site.path, line, props));
    }
  }
  return out;
}

const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/**
 * The identity of a GitHub Actions OIDC subject pattern: `repo:org/app:ref:refs/heads/main` and
 * `repo:org/app:*` are both `github-actions:repo:org/app` (the pattern stays in the relation's props);
 * a subject that names no repository (`*`, a custom claim) is `github-actions:repo:*`.
 */
export function githubSubjectId(sub: string): string {
  const m = /^repo:([^:]+)/.exec(sub.trim());
  return `github-actions:repo:${m ? m[1] : '*'}`;
}

/**
 * Who may assume `role` by its trust policy: AWS principals and OIDC subjects (`assumes`, principal →
 * role: GitHub Actions by `token.actions.githubusercontent.com:sub`, EKS service accounts by a `:sub`
 * of `system:serviceaccount:…`) and AWS services (`runs-as`, `aws-service:<principal>` → role).
 */
export function trustRelations(role: InventoryNode, doc: PolicyDocument, site: PolicySite): InventoryRelation[] {
  const out: InventoryRelation[] = [];
  for (const [i, s] of doc.statements.entries()) {
    if (s.effect !== 'Allow' || !isTrustStatement(s)) continue;
    const principal = field(s.source, 'Principal');
    if (!isObj(principal)) continue; // "*": anyone, which posture reports; no identity to name
    const actions = [...(s.actions ?? [])];
    for (const v of site.texts(field(principal, 'AWS'))) {
      const id = awsPrincipalId(v);
      if (id === undefined) continue;
      const props: Obj = { actions };
      if (s.conditions.length > 0) props.conditional = true;
      out.push(relation('assumes', node('identity', id), role, site.path, site.line(s, i, 'Principal', v), props));
    }
    for (const v of toTexts(field(principal, 'Service'))) {
      if (v.includes('${') || v.trim() === '') continue;
      const svc = node('workload', `aws-service:${v.trim()}`, v.trim());
      out.push(relation('runs-as', svc, role, site.path, site.line(s, i, 'Principal', v), { actions }));
    }
    const federated = site.texts(field(principal, 'Federated'));
    if (federated.length === 0) continue;
    const github =
      federated.some((f) => f.includes(GITHUB_ISSUER)) ||
      s.conditions.some((c) => c.key.toLowerCase().startsWith(`${GITHUB_ISSUER}:`));
    if (github) {
      const subs = s.conditions.filter((c) => c.key.toLowerCase() === `${GITHUB_ISSUER}:sub`).flatMap((c) => [...c.values]);
      const byId = new Map<string, string[]>();
      for (const sub of subs.length > 0 ? subs : ['*'])
        byId.set(githubSubjectId(sub), [...(byId.get(githubSubjectId(sub)) ?? []), sub]);
      for (const [id, patterns] of byId) {
        const line = site.line(s, i, subs.length > 0 ? 'Condition' : 'Principal', subs.length > 0 ? patterns[0] : federated[0]);
        out.push(
          relation('assumes', node('identity', id), role, site.path, line, { actions, sub: patterns, provider: GITHUB_ISSUER }),
        );
      }
      continue;
    }
    // EKS IAM roles for service accounts: the cluster's OIDC provider, pinned to a service account by `:sub`.
    for (const c of s.conditions) {
      if (!c.key.toLowerCase().endsWith(':sub')) continue;
      for (const v of c.values) {
        if (!v.startsWith('system:serviceaccount:')) continue;
        const props: Obj = { actions, provider: federated[0]! };
        out.push(relation('assumes', node('identity', v), role, site.path, site.line(s, i, 'Condition', v), props));
      }
    }
  }
  return out;
}

/**
 * The policy node of a managed policy ARN (`aws-policy:<name>`, the ARN in its props), or of a bare
 * name; undefined for an unresolved reference.
 */
export function managedPolicyNode(arn: string): InventoryNode | undefined {
  const s = arn.trim();
  if (s === '' || s.includes('${')) return undefined;
  const m = /:policy\/(?:.*\/)?([^/]+)$/.exec(s);
  if (m) return node('policy', `aws-policy:${m[1]}`, m[1], { arn: s });
  return s.includes(':') ? undefined : node('policy', `aws-policy:${s}`, s);
}

/**
 * `has-policy` from an identity to an attached managed policy; an administrator-equivalent AWS managed
 * policy (AdministratorAccess, IAMFullAccess) also gets its own grant, so the graph sees the reach.
 */
export function attachmentRelations(
  identity: InventoryNode,
  policy: InventoryNode,
  path: string,
  line: number,
): InventoryRelation[] {
  const arn = typeof policy.props?.arn === 'string' ? policy.props.arn : (policy.label ?? policy.id.slice('aws-policy:'.length));
  const admin = adminManagedPolicy(arn);
  const out = [relation('has-policy', identity, policy, path, line, { admin: admin !== undefined })];
  if (admin) {
    const actions = admin === 'IAMFullAccess' ? ['iam:*'] : ['*'];
    out.push(relation('can-access', policy, node('resource', '*'), path, line, { actions, admin: true, managed: true }));
  }
  return out;
}

/**
 * A `PolicySite` over a document with positions (CloudFormation, IAM JSON): a value's own line where the
 * parser kept it, else its field's, else the statement's, else a text search, else `fallback`.
 */
export function positionedSite(
  path: string,
  pos: { line(container: unknown, key?: string | number): number | undefined },
  findLine: (needle: string, fromLine?: number) => number,
  fallback: number,
  texts: (raw: unknown) => string[] = toTexts,
): PolicySite {
  const leaf = (container: unknown, value: string, depth = 0): number | undefined => {
    if (depth > 6 || typeof container !== 'object' || container === null) return undefined;
    const entries: [string | number, unknown][] = Array.isArray(container)
      ? container.map((v, i) => [i, v] as [number, unknown])
      : Object.entries(container);
    for (const [k, v] of entries) {
      // A reference or Fn::Sub resolved to the value counts as the value itself.
      if (v === value || (isObj(v) && texts(v)[0] === value)) return pos.line(container, k);
      const inner = leaf(v, value, depth + 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return {
    path,
    texts,
    line(statement, _index, name, value) {
      const source = statement.source;
      const key = isObj(source) && !(name in source) && name.toLowerCase() in source ? name.toLowerCase() : name;
      const inField = isObj(source) ? source[key] : undefined;
      if (value !== undefined) {
        const found = inField === value ? pos.line(source, key) : leaf(inField, value);
        if (found !== undefined) return found;
      }
      const l = pos.line(source, key) ?? pos.line(source);
      if (l !== undefined) return l;
      return value === undefined ? fallback : findLine(JSON.stringify(value), fallback);
    },
  };
}
