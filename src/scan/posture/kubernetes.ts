import { isMap, isNode, isScalar, isSeq } from 'yaml';
import { redact } from '../secrets/redact.js';
import { isReference, looksGenerated, secretName } from './mcp.js';
import type { PostureAnalyzer, PostureContext } from './types.js';
import {
  certainYamlError,
  documentHasError,
  firstDocumentError,
  isPlainMap,
  loadFast,
  PNode,
  parseFastCore,
  parsePositionedTree,
  parseYamlDocuments,
  placedStart,
  plainGet,
  quietOn,
  settledPositioned,
  YAML_CORE,
} from './yaml-fast.js';

/**
 * Kubernetes manifests: RBAC that hands service accounts more than they need, workloads that carry
 * a token they do not use (or carry one into a privileged pod), legacy token Secrets and Secrets
 * committed with their values. Works over plain manifests, multi-document streams, `kind: List`
 * and `helm template` output; resolves Roles defined in the same file when judging a binding.
 */

// ---------------------------------------------------------------------------------------------------
// Node access. Two kinds of tree come here: the `yaml` AST, whose source ranges give real line numbers,
// and js-yaml's plain values (objects, arrays, primitives, `null` for an empty value), which the fast
// pass reads to learn whether there is anything to report at all (see yaml-fast.ts). The helpers read
// either the same way, and defensively: a manifest may hold anything (or a Helm expression) where a
// field is expected. A `yaml` node is never a plain object, array or primitive, so the two never mix.

/** A field of a mapping node, or undefined. */
function get(node: unknown, key: string): unknown {
  if (node instanceof PNode) return node.pairs.find((p) => p.key === key)?.value;
  return isMap(node) ? node.get(key, true) : plainGet(node, key);
}

/** Follows a path of mapping keys. */
function dig(node: unknown, ...keys: string[]): unknown {
  let n = node;
  for (const k of keys) n = get(n, k);
  return n;
}

/** A scalar's value as a string (numbers and booleans too), or undefined. */
function str(node: unknown): string | undefined {
  const v = scalarValue(node);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Absent, or present with an empty (null) value. */
function empty(node: unknown): boolean {
  return node === undefined || node === null || ((isScalar(node) || node instanceof PNode) && scalarValue(node) === null);
}

/** A `yaml` or positioned scalar's value; any other node as it is (a collection node is never a scalar value). */
function scalarValue(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (node instanceof PNode) return node.kind === 'scalar' ? node.value : node;
  return node;
}

/** A string field that Helm has not left as an expression; `null` when present but unreadable. */
function plainStr(node: unknown): string | undefined | null {
  if (empty(node)) return undefined;
  const s = str(node);
  return s === undefined || s.includes('{{') ? null : s;
}

/** true/false, undefined when absent, `null` when present but not a boolean (a template, say). */
function flag(node: unknown): boolean | undefined | null {
  if (empty(node)) return undefined;
  const v = scalarValue(node);
  if (typeof v === 'boolean') return v;
  // YAML 1.1 spellings that the Kubernetes decoder (yaml.v2 heritage) still reads as booleans.
  const s = str(node)?.toLowerCase();
  if (s === 'true' || s === 'yes' || s === 'on') return true;
  if (s === 'false' || s === 'no' || s === 'off') return false;
  return null;
}

const isMapNode = (node: unknown): boolean => isMap(node) || isPlainMap(node) || (node instanceof PNode && node.kind === 'map');
const isSeqNode = (node: unknown): boolean =>
  isSeq(node) || Array.isArray(node) || (node instanceof PNode && node.kind === 'seq');

function seq(node: unknown): unknown[] {
  if (node instanceof PNode) return node.kind === 'seq' ? [...node.items] : [];
  return isSeq(node) ? node.items : Array.isArray(node) ? node : [];
}

function strings(node: unknown): string[] {
  if (isSeqNode(node)) {
    return seq(node)
      .map(str)
      .filter((s): s is string => s !== undefined);
  }
  const s = str(node);
  return s === undefined ? [] : [s];
}

function pairs(node: unknown): Array<{ key: string; value: unknown; at: number | undefined }> {
  if (isPlainMap(node)) return Object.entries(node).map(([key, value]) => ({ key, value, at: undefined }));
  if (node instanceof PNode) return node.pairs.map((p) => ({ key: p.key, value: p.value, at: offsetOf(p.keyNode) }));
  if (!isMap(node)) return [];
  const out: Array<{ key: string; value: unknown; at: number | undefined }> = [];
  for (const p of node.items) {
    const key = str(p.key);
    if (key !== undefined) out.push({ key, value: p.value, at: offsetOf(p.key) });
  }
  return out;
}

/** Source offset of a `yaml` node; plain values have none. */
function offsetOf(node: unknown): number | undefined {
  if (node instanceof PNode) return placedStart(node);
  return isNode(node) ? node.range?.[0] : undefined;
}

/** The first key of a mapping (where a pod spec's findings go when no field is more precise). */
function firstKey(node: unknown): unknown {
  if (node instanceof PNode) return node.pairs[0]?.keyNode;
  return isMap(node) ? node.items[0]?.key : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Objects

interface K8sObject {
  kind: string;
  name: string;
  namespace: string | undefined;
  /** A mapping: a `yaml` YAMLMap or, in the fast pass, a plain object. */
  node: unknown;
}

function line(ctx: PostureContext, node: unknown, fallback: number): number {
  const at = offsetOf(node);
  return at === undefined ? fallback : ctx.lineOf(at);
}

function label(o: K8sObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** Every object of the stream, `kind: List` items included. */
function collectObjects(roots: unknown[]): K8sObject[] {
  const out: K8sObject[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (!isMapNode(node)) return;
    const kind = str(get(node, 'kind'));
    if (!kind) return;
    // `kubectl get -o yaml` and some generators wrap objects in a List (or FooList) with `items`.
    if (kind === 'List' || (kind.endsWith('List') && isSeqNode(get(node, 'items')))) {
      if (depth < 3) for (const item of seq(get(node, 'items'))) visit(item, depth + 1);
      return;
    }
    const name = plainStr(dig(node, 'metadata', 'name')) ?? '';
    const ns = plainStr(dig(node, 'metadata', 'namespace')) ?? undefined;
    out.push({ kind, name, namespace: ns, node });
  };
  for (const r of roots) visit(r, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// RBAC

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  node: unknown;
}

function policyRules(role: K8sObject): PolicyRule[] {
  return seq(get(role.node, 'rules')).map((r) => ({
    apiGroups: strings(get(r, 'apiGroups')),
    resources: strings(get(r, 'resources')),
    verbs: strings(get(r, 'verbs')).map((v) => v.toLowerCase()),
    resourceNames: strings(get(r, 'resourceNames')),
    node: r,
  }));
}

/** The rule reaches core resources (secrets among them): apiGroups "" or "*". */
const coversCore = (r: PolicyRule): boolean => r.apiGroups.includes('') || r.apiGroups.includes('*');
const anyResource = (r: PolicyRule): boolean => r.resources.includes('*') || r.resources.includes('*/*');

/**
 * How far a role's wildcards reach. `full`: every verb on every resource of every group, which is
 * cluster-admin. `broad`: every resource of the core group (or all groups), secrets included.
 * Wildcards limited to one custom API group (an operator's own CRDs) are neither.
 */
function wildcardReach(role: K8sObject): { reach: 'full' | 'broad'; rule: PolicyRule } | undefined {
  let broad: PolicyRule | undefined;
  for (const r of policyRules(role)) {
    if (!anyResource(r) || !coversCore(r) || r.resourceNames.length > 0) continue;
    if (r.verbs.includes('*') && r.apiGroups.includes('*')) return { reach: 'full', rule: r };
    broad ??= r;
  }
  return broad ? { reach: 'broad', rule: broad } : undefined;
}

/** Verbs that let a holder rise above its own grants (Kubernetes RBAC docs, "privilege escalation prevention"). */
const ESCALATION_VERBS = ['escalate', 'bind', 'impersonate'];
/** Subresources whose `create` runs code in, or mints credentials for, other identities. */
const ESCALATION_SUBRESOURCES = ['pods/exec', 'pods/attach', 'serviceaccounts/token'];

/** Subjects that are service accounts: the SA itself, its user-name form, or the SA groups. */
function serviceAccountSubjects(binding: K8sObject): string[] {
  const out: string[] = [];
  for (const s of seq(get(binding.node, 'subjects'))) {
    const kind = str(get(s, 'kind'));
    // A templated subject name is still a service account: the binding's grant is what matters.
    const name = str(get(s, 'name'));
    if (!name) continue;
    const ns = plainStr(get(s, 'namespace'));
    const where = ns ?? binding.namespace;
    if (kind === 'ServiceAccount') out.push(`ServiceAccount ${where ? `${where}/` : ''}${name}`);
    else if (kind === 'User' && name.startsWith('system:serviceaccount:')) out.push(`User ${name}`);
    else if (kind === 'Group' && (name === 'system:serviceaccounts' || name.startsWith('system:serviceaccounts:')))
      out.push(`Group ${name}`);
  }
  return out;
}

function checkRbac(ctx: PostureContext, objects: K8sObject[]): void {
  const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
  const reportedRoles = new Set<K8sObject>();

  for (const b of objects) {
    if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
    const subjects = serviceAccountSubjects(b);
    if (subjects.length === 0) continue;
    const refKind = str(dig(b.node, 'roleRef', 'kind'));
    const refName = plainStr(dig(b.node, 'roleRef', 'name'));
    if (!refName) continue;
    const clusterWide = b.kind === 'ClusterRoleBinding';
    const at = line(ctx, dig(b.node, 'roleRef', 'name'), line(ctx, b.node, 1));
    const who = subjects.slice(0, 2).join(', ') + (subjects.length > 2 ? ', …' : '');
    const report = (ruleId: string, why: string): void =>
      ctx.report({ ruleId, line: at, evidence: `${label(b)}: ${who} -> ${refKind ?? 'ClusterRole'} ${refName}${why}` });

    // A Role or ClusterRole of the same stream says what the binding really grants.
    const defined = roles.find(
      (r) =>
        r.name === refName &&
        r.kind === (refKind ?? 'ClusterRole') &&
        (r.kind === 'ClusterRole' || !r.namespace || !b.namespace || r.namespace === b.namespace),
    );
    const reach = defined ? wildcardReach(defined) : undefined;
    if (defined && reach) reportedRoles.add(defined);

    if (refKind === 'ClusterRole' && refName === 'cluster-admin') {
      if (clusterWide) report('posture.kubernetes.serviceaccount-cluster-admin', '');
      else report('posture.kubernetes.serviceaccount-broad-role', ' (full control of the namespace)');
    } else if (refKind === 'ClusterRole' && (refName === 'admin' || refName === 'edit') && clusterWide && !defined) {
      // admin and edit are meant to be granted per namespace; cluster-wide they reach every namespace's secrets.
      report('posture.kubernetes.serviceaccount-broad-role', ' (cluster-wide)');
    } else if (reach?.reach === 'full' && clusterWide) {
      report('posture.kubernetes.serviceaccount-cluster-admin', ' (wildcard verbs, resources and apiGroups)');
    } else if (reach) {
      report('posture.kubernetes.serviceaccount-broad-role', ` (wildcard resources${clusterWide ? ', cluster-wide' : ''})`);
    }
  }

  for (const role of roles) {
    const reach = wildcardReach(role);
    if (reach && !reportedRoles.has(role)) {
      ctx.report({
        ruleId: 'posture.kubernetes.role-wildcard',
        line: line(ctx, reach.rule.node, 1),
        evidence: `${label(role)}: verbs [${reach.rule.verbs.join(', ')}] on resources [${reach.rule.resources.join(', ')}] in apiGroups [${reach.rule.apiGroups.map((g) => JSON.stringify(g)).join(', ')}]`,
      });
    }
    for (const r of policyRules(role)) {
      const verbs = r.verbs;
      // Explicit `secrets` only: wildcard resources are the wildcard rule's to report.
      if (
        coversCore(r) &&
        r.resources.includes('secrets') &&
        r.resourceNames.length === 0 &&
        verbs.some((v) => v === 'get' || v === 'list' || v === 'watch' || v === '*')
      ) {
        ctx.report({
          ruleId: 'posture.kubernetes.role-reads-secrets',
          line: line(ctx, r.node, 1),
          evidence: `${label(role)}: [${verbs.filter((v) => ['get', 'list', 'watch', '*'].includes(v)).join(', ')}] on all secrets`,
        });
      }
      // resourceNames narrows these to named roles, users or pods: the pattern the RBAC docs recommend.
      if (r.resourceNames.length > 0) continue;
      const escalation = verbs.filter((v) => ESCALATION_VERBS.includes(v));
      const sub = r.resources.filter((res) => ESCALATION_SUBRESOURCES.includes(res));
      const creates = verbs.includes('create') || verbs.includes('*');
      if (escalation.length > 0 || (sub.length > 0 && creates)) {
        const parts = [];
        if (escalation.length > 0) parts.push(`${escalation.join(', ')} on ${r.resources.join(', ') || '?'}`);
        if (sub.length > 0 && creates) parts.push(`create on ${sub.join(', ')}`);
        ctx.report({
          ruleId: 'posture.kubernetes.role-privilege-escalation',
          line: line(ctx, r.node, 1),
          evidence: `${label(role)}: ${parts.join('; ')}`,
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Workloads

/** Where each workload kind keeps its pod spec. */
export const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  // Argo Rollouts mirror a Deployment's shape.
  Rollout: ['spec', 'template', 'spec'],
};

/** Kinds whose apps/v1 schema requires `spec.selector`. */
const NEEDS_SELECTOR = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Rollout']);

/**
 * A kustomize patch or other partial object, not a workload: it lacks the selector apps/v1 requires,
 * or a container without an image. Its missing serviceAccountName says nothing about the result.
 * (Argo Rollouts may also reference a Deployment's template instead of carrying one.)
 */
function isPatch(w: K8sObject, spec: unknown): boolean {
  if (NEEDS_SELECTOR.has(w.kind) && get(get(w.node, 'spec'), 'selector') === undefined) return true;
  const containers = seq(get(spec, 'containers'));
  return containers.length === 0 || containers.some((c) => get(c, 'image') === undefined);
}

function checkWorkloads(ctx: PostureContext, objects: K8sObject[]): void {
  const serviceAccounts = objects.filter((o) => o.kind === 'ServiceAccount');
  for (const w of objects) {
    const path = POD_SPEC_PATHS[w.kind];
    if (!path) continue;
    const spec = dig(w.node, ...path);
    if (!isMapNode(spec) || isPatch(w, spec)) continue;

    const saNode = get(spec, 'serviceAccountName') ?? get(spec, 'serviceAccount');
    const saName = plainStr(saNode);
    if (saName === null) continue; // templated: the rendered value is unknown
    const effectiveSa = saName === undefined || saName === '' ? 'default' : saName;
    const podMount = flag(get(spec, 'automountServiceAccountToken'));
    if (podMount === null) continue;
    const sa = serviceAccounts.find(
      (s) => s.name === effectiveSa && (!s.namespace || !w.namespace || s.namespace === w.namespace),
    );
    const saMount = sa ? flag(get(sa.node, 'automountServiceAccountToken')) : undefined;
    if (saMount === null && podMount === undefined) continue;
    // The pod's setting wins over the service account's (Kubernetes docs, "Opt out of API credential automounting").
    const tokenMounted = podMount ?? saMount ?? true;
    if (!tokenMounted) continue;

    const specLine = line(ctx, firstKey(spec), line(ctx, w.node, 1));
    if (effectiveSa === 'default') {
      ctx.report({
        ruleId: 'posture.kubernetes.default-serviceaccount-token',
        line: saNode ? line(ctx, saNode, specLine) : specLine,
        evidence: `${label(w)}: runs as the default ServiceAccount with its token automounted`,
      });
    }

    const risky: string[] = [];
    let riskyLine: number | undefined;
    const note = (what: string, node: unknown): void => {
      risky.push(what);
      riskyLine ??= line(ctx, node, specLine);
    };
    for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (flag(get(spec, host)) === true) note(host, get(spec, host));
    }
    for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
      for (const c of seq(get(spec, list))) {
        const priv = dig(c, 'securityContext', 'privileged');
        if (flag(priv) === true) note(`privileged container ${str(get(c, 'name')) ?? '?'}`, priv);
      }
    }
    for (const v of seq(get(spec, 'volumes'))) {
      const hp = get(v, 'hostPath');
      if (hp !== undefined) note(`hostPath ${str(get(hp, 'path')) ?? '?'}`, hp);
    }
    if (risky.length > 0) {
      ctx.report({
        ruleId: 'posture.kubernetes.privileged-pod-with-token',
        line: riskyLine ?? specLine,
        evidence: `${label(w)}: ${risky.slice(0, 3).join(', ')}${risky.length > 3 ? ', …' : ''} with ServiceAccount ${effectiveSa} token mounted`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Secrets

/** Keys whose values are identifiers or addresses, not secrets: usernames, hosts, ports, certificates. */
const NON_SECRET_KEY =
  /^(?:user(?:name)?|login|host(?:name)?|port|db|database|db[-_]?name|email|region|endpoint|url|uri|namespace|bucket|ca|ca[-_.]?bundle|.*\.(?:crt|cer|pub))$|[-_.](?:user(?:name)?|host(?:name)?|port|url|uri|endpoint|region|name|id|email|crt|cert|certificate)$/i;

/** Default passwords of tutorials: weak, but not a leaked credential of anyone's. */
const TRIVIAL = new Set([
  'password',
  'passw0rd',
  'p@ssw0rd',
  'password1',
  'password123',
  'mypassword',
  'mysecretpassword',
  'supersecret',
  'secret',
  'secret123',
  'admin',
  'admin123',
  'root',
  'test',
  'guest',
  'user',
  'demo',
  'pass',
  'changeit',
  // The value of the Secret example in the Kubernetes documentation, copied into many repositories.
  '1f2d1e2e67df',
]);

function decodeData(value: string): string {
  const v = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return value;
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  // Binary payloads (keystores) decode to replacement characters: still a secret, keep the raw value.
  return decoded.includes('\uFFFD') ? value : decoded;
}

/** Whether a committed Secret value is a real-looking secret, not empty, templated or a stand-in. */
function isRealSecretValue(key: string, raw: string, base64: boolean): boolean {
  if (raw.trim() === '' || raw.includes('{{') || raw.includes('${')) return false;
  const value = base64 ? decodeData(raw) : raw;
  const v = value.trim();
  if (v.length < 4 || TRIVIAL.has(v.toLowerCase())) return false;
  if (isReference(v) || isReference(raw)) return false;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) return true;
  if (/^-----BEGIN CERTIFICATE-----/.test(v)) return false;
  // A URL with a password in it (postgres://user:pass@host) is a secret whatever its key is called.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(v)) return true;
  if (NON_SECRET_KEY.test(key)) return false;
  // A key that names a secret keeps any real value; settings parked in a Secret (mode: staging) need a
  // value that looks generated before they count.
  return secretName(key) || looksGenerated(v);
}

function checkSecrets(ctx: PostureContext, objects: K8sObject[]): void {
  for (const o of objects) {
    if (o.kind === 'Secret') {
      const type = str(get(o.node, 'type'));
      if (type === 'kubernetes.io/service-account-token') {
        const sa = plainStr(dig(o.node, 'metadata', 'annotations', 'kubernetes.io/service-account.name'));
        ctx.report({
          ruleId: 'posture.kubernetes.legacy-serviceaccount-token-secret',
          line: line(ctx, get(o.node, 'type'), 1),
          evidence: `${label(o)}: type kubernetes.io/service-account-token${sa ? ` for ServiceAccount ${sa}` : ''}`,
        });
      }
      const found: Array<{ key: string; raw: string; at: number | undefined }> = [];
      for (const field of ['data', 'stringData']) {
        for (const p of pairs(get(o.node, field))) {
          const raw = str(p.value);
          if (raw !== undefined && isRealSecretValue(p.key, raw, field === 'data')) found.push({ key: p.key, raw, at: p.at });
        }
      }
      reportPlaintext(ctx, `${label(o)}`, found);
    } else if (o.kind === 'Kustomization') {
      // secretGenerator literals are plaintext Secrets in waiting (kustomize docs, "secretGenerator").
      for (const g of seq(get(o.node, 'secretGenerator'))) {
        const found: Array<{ key: string; raw: string; at: number | undefined }> = [];
        for (const lit of seq(get(g, 'literals'))) {
          const s = str(lit);
          const eq = s?.indexOf('=') ?? -1;
          if (!s || eq <= 0) continue;
          const key = s.slice(0, eq);
          const raw = s.slice(eq + 1);
          if (isRealSecretValue(key, raw, false)) found.push({ key, raw, at: offsetOf(lit) });
        }
        reportPlaintext(ctx, `Kustomization secretGenerator ${plainStr(get(g, 'name')) ?? '?'}`, found);
      }
    }
  }
}

function reportPlaintext(
  ctx: PostureContext,
  where: string,
  found: Array<{ key: string; raw: string; at: number | undefined }>,
): void {
  const first = found[0];
  if (!first) return;
  const shown = found.slice(0, 3).map((f) => `${f.key}=${redact(f.raw)}`);
  ctx.report({
    ruleId: 'posture.kubernetes.plaintext-secret',
    line: first.at === undefined ? 1 : ctx.lineOf(first.at),
    evidence: `${where}: ${shown.join(', ')}${found.length > 3 ? `, +${found.length - 3} more` : ''}`,
    message: `Secret values committed in plain text (keys: ${found.map((f) => f.key).join(', ')})`,
  });
}

// ---------------------------------------------------------------------------------------------------

const HEAD_API_VERSION = /^\s*(?:-\s+)?apiVersion\s*:/m;
const HEAD_KIND = /^\s*(?:-\s+)?kind\s*:/m;

function checkAll(ctx: PostureContext, roots: unknown[]): void {
  const objects = collectObjects(roots);
  checkRbac(ctx, objects);
  checkWorkloads(ctx, objects);
  checkSecrets(ctx, objects);
}

/** The analysis over the `yaml` tree: exact lines and messages. Every file went this way before the fast pass. */
function analyzeExact(ctx: PostureContext, refused = false): void {
  const certain = certainYamlError(ctx.text);
  if (certain) {
    // A Helm template (`{{ ... }}`) is Go template text, not YAML: nothing to judge until rendered.
    if (!ctx.text.includes('{{')) ctx.malformed(`not valid YAML: ${certain.message} at line ${certain.line}`);
    return;
  }
  if (refused && !ctx.text.includes('{{')) {
    // js-yaml refused the stream: most likely the `yaml` package does too, and its reason is all there
    // is to report, which the documents after the first broken one cannot change.
    const error = firstDocumentError(ctx.text);
    if (error) {
      ctx.malformed(`not valid YAML: ${error.message.split('\n')[0]}`);
      return;
    }
  }
  const list = parseYamlDocuments(ctx.text).docs;
  const broken = list.find((d) => d.errors.length > 0);
  if (broken) {
    // A Helm template (`{{ ... }}`) is Go template text, not YAML: nothing to judge until rendered.
    if (ctx.text.includes('{{')) return;
    ctx.malformed(`not valid YAML: ${broken.errors[0]!.message.split('\n')[0]}`);
    return;
  }
  checkAll(
    ctx,
    list.map((d) => d.contents),
  );
}

/**
 * Words without which no check can report: every report needs an object of one of these kinds (and a
 * workload a container with an image, and a selector where apps/v1 requires one). A kind or key equal
 * to one of them has it literally in the text, between non-word characters, unless a double-quoted
 * escape (`\x53`, `\u0053`, an escaped line break) spells it: then nothing is ruled out. Keep in step
 * with the checks above.
 */
const RBAC_KIND = /\b(?:Cluster)?Role(?:Binding)?\b/;
const SECRET_KIND = /\bSecret\b|\bsecretGenerator\b/;
const WORKLOAD_KIND = /\b(?:Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|CronJob|Rollout)\b/;
const WORKLOAD_WITHOUT_SELECTOR = /\b(?:Pod|ReplicationController|Job|CronJob)\b/;
const LETTER_ESCAPE = /\\[xuU\r\n]/;

function mayReport(text: string): boolean {
  if (LETTER_ESCAPE.test(text) || RBAC_KIND.test(text) || SECRET_KIND.test(text)) return true;
  return (
    WORKLOAD_KIND.test(text) &&
    /\bcontainers\b/.test(text) &&
    /\bimage\b/.test(text) &&
    (WORKLOAD_WITHOUT_SELECTOR.test(text) || /\bselector\b/.test(text))
  );
}

/**
 * A workload that names no service account and no automount setting: the default token is mounted,
 * a finding unless the object is a patch. The fast pass would only find it and parse again, so such a
 * file goes straight to the exact pass. A guess that picks the path, never a result.
 */
function likelyFinding(text: string): boolean {
  return (
    mayReport(text) && WORKLOAD_KIND.test(text) && !/\bserviceAccount(?:Name)?\b|\bautomountServiceAccountToken\b/.test(text)
  );
}

/**
 * Whether the file is settled without the exact pass: js-yaml reads it and the checks report nothing,
 * or it is a Helm template that does not parse. Anchors send a file to the exact pass, which leaves
 * aliases unresolved (an aliased field reads as unreadable there, as the anchored value here).
 */
function settledFast(ctx: PostureContext): boolean | 'broken' {
  const template = ctx.text.includes('{{');
  // With `{{` in the text the exact pass reports nothing for a stream that does not parse and only
  // findings for one that does: without the words any finding needs, there is nothing to parse for.
  if (template && !mayReport(ctx.text)) return true;
  if (!template && likelyFinding(ctx.text)) return false;
  if (!template) {
    // The parse the inventory extractor reads next (one js-yaml parse for both), when it reads as
    // `loadFast` would: no anchors (it takes none), no repeated key; refused, as `loadFast` would be.
    const core = parseFastCore(ctx.text);
    if (core.fast && core.strict) {
      const docs = core.fast.values;
      return quietOn(ctx, (probe) => checkAll(probe, docs));
    }
    if (core.refused) return 'broken';
  }
  const fast = loadFast(ctx.text, { schema: YAML_CORE, anchors: 'none' });
  if (fast.ok) return quietOn(ctx, (probe) => checkAll(probe, fast.docs));
  if (fast.why !== 'error') return false;
  // Unrendered Helm templates are most of the broken manifests; the exact pass drops any stream with an
  // error when the text has `{{`, and the one document where js-yaml stopped is enough to know that.
  if (template) return documentHasError(ctx.text, fast.at) || 'broken';
  return 'broken';
}

/**
 * The analysis over js-yaml's tree with start offsets (`parsePositionedTree`, yaml-fast.ts), read by the
 * same helpers: the exact pass's findings and lines at js-yaml's speed. False, with nothing reported,
 * where that tree cannot be had (anchors, tags, Helm `{{`, …) or cannot place a finding alike (on an
 * empty value).
 */
function analyzePositioned(ctx: PostureContext): boolean {
  const roots = parsePositionedTree(ctx.text);
  return roots ? settledPositioned(ctx, (recorder) => checkAll(recorder, roots)) : false;
}

/**
 * Kubernetes manifest analyzer. Accepts `.yaml`/`.yml` files whose head has `apiVersion:` and `kind:`.
 * Helm chart templates that are not YAML until rendered are skipped without a finding.
 * @example await analyzePosture('deploy/rbac.yaml', text) // posture.kubernetes.* findings
 */
export const kubernetesAnalyzer: PostureAnalyzer = {
  id: 'kubernetes',
  accepts(path, head) {
    return /\.ya?ml$/i.test(path) && HEAD_API_VERSION.test(head) && HEAD_KIND.test(head);
  },
  analyze(ctx) {
    const settled = settledFast(ctx);
    if (settled === true || (settled === false && analyzePositioned(ctx))) return;
    analyzeExact(ctx, settled === 'broken');
  },
};

/** The same analyzer without the fast pass: for tests that hold the two to the same results. */
export const kubernetesExactAnalyzer: PostureAnalyzer = { ...kubernetesAnalyzer, analyze: (ctx) => analyzeExact(ctx) };
