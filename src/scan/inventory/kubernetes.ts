import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { kubernetesAnalyzer, POD_SPEC_PATHS } from '../posture/kubernetes.js';
import {
  credentialRelation,
  entriesWithLines,
  isObj,
  k8sServiceAccountId,
  node,
  type Obj,
  ownerRelations,
  parseYamlStream,
  relation,
  text,
  texts,
} from './common.js';
import type { InventoryExtractor } from './types.js';

/**
 * Kubernetes manifests (multi-document streams, `kind: List`): service accounts and who owns them,
 * the service account each workload runs as, role bindings (`has-policy`) and what each Role or
 * ClusterRole grants (`can-access`, one per resource). Namespaces default to `default`; a ClusterRole
 * and what it reaches are `*`. Helm templates that are not YAML until rendered give nothing.
 */

/** Only streams naming one of these kinds hold anything to read. */
const RELEVANT =
  /\b(?:ServiceAccount|(?:Cluster)?Role(?:Binding)?|Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|Job|CronJob|Rollout|Secret)\b/;

/** IRSA: the AWS role a service account's pods assume (EKS docs, "IAM roles for service accounts"). */
const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

interface K8sObject {
  kind: string;
  name: string;
  namespace: string;
  obj: Obj;
}

const dig = (v: unknown, ...keys: string[]): unknown => {
  let n = v;
  for (const k of keys) n = isObj(n) ? n[k] : undefined;
  return n;
};

/** A literal string field; undefined when absent, empty or a template expression. */
function plain(v: unknown): string | undefined {
  const s = text(v)?.trim();
  return s && !s.includes('{{') ? s : undefined;
}

function collect(values: unknown[]): K8sObject[] {
  const out: K8sObject[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (!isObj(v)) return;
    const kind = plain(v.kind);
    if (!kind) return;
    if (kind === 'List' || (kind.endsWith('List') && Array.isArray(v.items))) {
      if (depth < 3 && Array.isArray(v.items)) for (const item of v.items) visit(item, depth + 1);
      return;
    }
    const name = plain(dig(v, 'metadata', 'name'));
    if (!name) return;
    out.push({ kind, name, namespace: plain(dig(v, 'metadata', 'namespace')) ?? 'default', obj: v });
  };
  for (const v of values) visit(v, 0);
  return out;
}

function extract(path: string, body: string): InventoryRelation[] {
  if (!RELEVANT.test(body)) return [];
  const parsed = parseYamlStream(body);
  if (!parsed) return [];
  const at = (container: unknown, key?: string | number, fallback = 1): number => parsed.line(container, key) ?? fallback;
  const out: InventoryRelation[] = [];
  const owners = (n: InventoryNode, o: K8sObject): void => {
    const labels = dig(o.obj, 'metadata', 'labels');
    out.push(
      ...ownerRelations(
        n,
        entriesWithLines(labels, (c, k) => at(c, k)),
        path,
      ),
    );
  };

  for (const o of collect(parsed.values)) {
    const objLine = at(o.obj, 'metadata');
    if (o.kind === 'ServiceAccount') {
      const sa = node('identity', k8sServiceAccountId(o.namespace, o.name), o.name);
      owners(sa, o);
      const annotations = dig(o.obj, 'metadata', 'annotations');
      const role = plain(dig(annotations, IRSA_ANNOTATION));
      if (role?.startsWith('arn:')) {
        out.push(
          relation('assumes', sa, node('identity', role), path, at(annotations, IRSA_ANNOTATION, objLine), {
            via: IRSA_ANNOTATION,
          }),
        );
      }
      continue;
    }

    const specPath = POD_SPEC_PATHS[o.kind];
    if (specPath) {
      const spec = dig(o.obj, ...specPath);
      if (!isObj(spec)) continue;
      const key =
        spec.serviceAccountName !== undefined
          ? 'serviceAccountName'
          : spec.serviceAccount !== undefined
            ? 'serviceAccount'
            : undefined;
      const written = key === undefined ? undefined : text(spec[key])?.trim();
      if (written?.includes('{{')) continue; // templated: the rendered name is unknown
      const saName = written || 'default';
      const workload = node(
        'workload',
        `k8s:${o.namespace}/${o.kind.toLowerCase()}/${o.name}`,
        `${o.kind} ${o.namespace}/${o.name}`,
      );
      const props: Obj = { serviceAccount: saName, declared: key !== undefined };
      if (spec.automountServiceAccountToken === false) props.automountServiceAccountToken = false;
      const line = key === undefined ? objLine : at(spec, key, objLine);
      out.push(
        relation('runs-as', workload, node('identity', k8sServiceAccountId(o.namespace, saName), saName), path, line, props),
      );
      owners(workload, o);
      // Projected service-account tokens: their declared lifetime (Kubernetes docs, "Service account token volume projection").
      const volumes = spec.volumes;
      for (const v of Array.isArray(volumes) ? volumes : []) {
        const sources = dig(v, 'projected', 'sources');
        for (const src of Array.isArray(sources) ? sources : []) {
          const token = dig(src, 'serviceAccountToken');
          if (!isObj(token)) continue;
          const secs = typeof token.expirationSeconds === 'number' ? token.expirationSeconds : 3600;
          out.push(
            credentialRelation(
              node('identity', k8sServiceAccountId(o.namespace, saName), saName),
              `k8s:${o.namespace}/${o.kind.toLowerCase()}/${o.name}#${text(dig(v, 'name')) ?? 'token'}`,
              { type: 'k8s-token', static: false, lifetimeSeconds: secs },
              path,
              at(token, 'expirationSeconds', at(src, 'serviceAccountToken', objLine)),
            ),
          );
        }
      }
      continue;
    }

    // A legacy service-account token Secret never expires (Kubernetes docs, "Manually create a long-lived API token").
    if (o.kind === 'Secret' && plain(dig(o.obj, 'type')) === 'kubernetes.io/service-account-token') {
      const annotations = dig(o.obj, 'metadata', 'annotations');
      const sa = plain(dig(annotations, 'kubernetes.io/service-account.name'));
      if (sa)
        out.push(
          credentialRelation(
            node('identity', k8sServiceAccountId(o.namespace, sa), sa),
            `k8s:${o.namespace}/secret/${o.name}`,
            { type: 'k8s-token', static: true },
            path,
            at(o.obj, 'type', objLine),
          ),
        );
      continue;
    }

    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      const refKind = plain(dig(o.obj, 'roleRef', 'kind')) ?? 'ClusterRole';
      const refName = plain(dig(o.obj, 'roleRef', 'name'));
      if (!refName) continue;
      const policy = node(
        'policy',
        `k8s-role:${refKind === 'ClusterRole' ? '*' : o.namespace}/${refName}`,
        `${refKind} ${refName}`,
      );
      const props: Obj = { binding: `${o.kind} ${o.kind === 'RoleBinding' ? `${o.namespace}/` : ''}${o.name}` };
      // A RoleBinding to a ClusterRole grants the role's rules in the binding's namespace only.
      if (o.kind === 'RoleBinding' && refKind === 'ClusterRole') props.namespace = o.namespace;
      const subjects = dig(o.obj, 'subjects');
      for (const [i, s] of (Array.isArray(subjects) ? subjects : []).entries()) {
        const kind = plain(dig(s, 'kind'));
        const name = plain(dig(s, 'name'));
        if (!name) continue;
        let id: string | undefined;
        if (kind === 'ServiceAccount') id = k8sServiceAccountId(plain(dig(s, 'namespace')) ?? o.namespace, name);
        else if (kind === 'User' && name.startsWith('system:serviceaccount:')) id = name;
        if (id === undefined) continue;
        out.push(relation('has-policy', node('identity', id), policy, path, at(subjects, i, objLine), props));
      }
      continue;
    }

    if (o.kind === 'Role' || o.kind === 'ClusterRole') {
      const scope = o.kind === 'ClusterRole' ? '*' : o.namespace;
      const policy = node('policy', `k8s-role:${scope}/${o.name}`, `${o.kind} ${o.name}`);
      const rules = dig(o.obj, 'rules');
      for (const rule of Array.isArray(rules) ? rules : []) {
        const verbs = texts(dig(rule, 'verbs')).map((v) => v.toLowerCase());
        const apiGroups = texts(dig(rule, 'apiGroups'));
        const resources = dig(rule, 'resources');
        const names = texts(resources);
        const admin = verbs.includes('*') || names.includes('*') || apiGroups.includes('*');
        const resourceNames = texts(dig(rule, 'resourceNames'));
        for (const [i, value] of (Array.isArray(resources) ? resources : [resources]).entries()) {
          const r = text(value);
          if (r === undefined) continue;
          const props: Obj = { actions: verbs, admin, apiGroups };
          if (resourceNames.length > 0) props.resourceNames = resourceNames;
          const line = Array.isArray(resources) ? at(resources, i, at(rule)) : at(rule, 'resources', at(rule));
          out.push(relation('can-access', policy, node('resource', `k8s:${scope}/${r}`), path, line, props));
        }
      }
    }
  }
  return out;
}

/** Kubernetes manifests: the files posture's kubernetes analyzer reads. */
export const kubernetesExtractor: InventoryExtractor = {
  id: 'kubernetes',
  accepts: (path, head) => kubernetesAnalyzer.accepts(path, head),
  extract,
};
