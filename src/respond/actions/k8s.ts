import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1NetworkPolicy,
  type V1Scale,
} from '@kubernetes/client-node';
import { WardenError } from '../../model/errors.js';
import { ProviderError, retryAfterMs } from '../http.js';
import type { Action, ActionRuntime, Incident, PlannedCall, Subject } from '../types.js';
import { alertIdentities, call, missing, opt } from './common.js';

/*
 * Kubernetes through @kubernetes/client-node, configured from KUBECONFIG (else ~/.kube/config, else
 * the in-cluster service account), as kubectl is. Paths are the core, apps/v1 and
 * networking.k8s.io/v1 REST paths the plan shows.
 */

function kubeConfig(env: ActionRuntime['env']): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (env.KUBECONFIG) kc.loadFromFile(env.KUBECONFIG.split(':')[0]!);
    else kc.loadFromDefault();
  } catch (error) {
    throw new WardenError(
      'WARDEN_USAGE',
      `cannot read the kubeconfig ${env.KUBECONFIG ?? '(default)'}: ${(error as Error).message}`,
    );
  }
  // kubectl talks plain HTTP to a server the kubeconfig names so (a local API proxy, a test
  // server); the client refuses unless TLS verification is "skipped", which means nothing without
  // TLS. Allowed for loopback servers only, so a bearer token never crosses a network in clear.
  const cluster = kc.getCurrentCluster();
  if (cluster && /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(cluster.server) && !cluster.skipTLSVerify) {
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c));
  }
  return kc;
}

function server(env: ActionRuntime['env']): string {
  try {
    return kubeConfig(env).getCurrentCluster()?.server.replace(/\/+$/, '') ?? '<cluster>';
  } catch {
    return '<cluster from KUBECONFIG>';
  }
}

/** Runs a client call; ApiException becomes ProviderError (status, body, Retry-After) so retries and answers read alike. */
async function kube<T>(rt: ActionRuntime, fn: () => Promise<T>): Promise<T> {
  return call(rt, async () => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiException) {
        const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? '');
        throw new ProviderError(
          `Kubernetes answered ${error.code}${messageOf(body)}`,
          error.code,
          body.slice(0, 2000),
          retryAfterMs(error.headers?.['retry-after']),
        );
      }
      throw error;
    }
  });
}

function messageOf(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === 'string' ? `: ${m.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

const notFound = (e: unknown) => e instanceof ProviderError && e.status === 404;

const SA = /^system:serviceaccount:([a-z0-9.-]+):([a-z0-9.-]+)$/;

/** The service accounts of the alert: its identity, the one it acted via, and the credential's owners. */
function serviceAccounts(incident: Incident): Array<{ namespace: string; name: string }> {
  const out: Array<{ namespace: string; name: string }> = [];
  for (const id of alertIdentities(incident)) {
    const m = SA.exec(id);
    if (m && !out.some((o) => o.namespace === m[1] && o.name === m[2])) out.push({ namespace: m[1]!, name: m[2]! });
  }
  return out;
}

/** A pod name as a ReplicaSet names its pods (`<deployment>-<hash>-<5>`): the Deployment's name. */
function deploymentOfPod(pod: string): string | undefined {
  const m = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod);
  return m?.[1];
}

/** The Deployment to act on: `with.workload` (`[namespace/]name`), else the pods the alert and the graph name. */
function workloads(incident: Incident, options: Record<string, unknown>): Subject[] | { missing: string } {
  const sas = serviceAccounts(incident);
  const namespaceOpt = opt(options, 'namespace');
  const given = opt(options, 'workload');
  const names = new Map<string, string>();
  const defaultNs = namespaceOpt ?? sas[0]?.namespace ?? incident.alert.identity.scope;
  if (given) {
    const parts = given.split('/');
    const name = parts.at(-1)!;
    const ns = parts.length > 1 ? parts[0]! : defaultNs;
    if (ns) names.set(`${ns}/${name}`, ns);
  } else {
    const pods = new Set([
      ...incident.workloads,
      ...incident.alert.evidences.flatMap((e) => (e.client.workload ? [e.client.workload] : [])),
    ]);
    for (const pod of pods) {
      const [ns, name] = pod.includes('/') ? pod.split('/', 2) : [defaultNs, deploymentOfPod(pod)];
      if (ns && name) names.set(`${ns}/${name}`, ns);
    }
  }
  if (names.size === 0)
    return missing(
      'the alert and the identity graph name no Kubernetes workload (pod) and no namespace for it; give with.workload',
    );
  return [...names.keys()].map((k) => {
    const [namespace, name] = k.split('/') as [string, string];
    return { key: `deployment ${namespace}/${name}`, fields: { namespace, name } };
  });
}

const scalePath = (s: Subject) => `/apis/apps/v1/namespaces/${s.fields.namespace}/deployments/${s.fields.name}/scale`;
const policyName = (s: Subject) => `warden-deny-all-${s.fields.name}`.slice(0, 253);
const policyPath = (s: Subject) => `/apis/networking.k8s.io/v1/namespaces/${s.fields.namespace}/networkpolicies`;

/** Deletes the service account's long-lived token Secrets (type kubernetes.io/service-account-token). */
export const k8sDeleteTokenSecret: Action = {
  name: 'k8s.delete-token-secret',
  describe: 'delete the service account token Secrets of a Kubernetes service account',
  async subjects(incident) {
    const sas = serviceAccounts(incident);
    if (sas.length === 0) return missing('the alert names no Kubernetes service account (system:serviceaccount:NS:NAME)');
    return sas.map((sa) => ({
      key: `service account ${sa.namespace}/${sa.name}`,
      fields: sa,
      // A legacy token Secret's token is what deleting revokes; a bound token (JTI) lives on until it expires.
      ...(incident.alert.credential && !incident.alert.credential.key.startsWith('JTI=')
        ? { revokes: incident.alert.credential.key }
        : {}),
    }));
  },
  calls: (s, _o, env) => [
    {
      method: 'GET',
      url: `${server(env)}/api/v1/namespaces/${s.fields.namespace}/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token`,
      note: `then the Secrets annotated kubernetes.io/service-account.name=${s.fields.name}`,
    },
    { method: 'DELETE', url: `${server(env)}/api/v1/namespaces/${s.fields.namespace}/secrets/{each such Secret}` },
  ],
  async run(s, _o, rt) {
    const { namespace, name } = s.fields as { namespace: string; name: string };
    const core = kubeConfig(rt.env).makeApiClient(CoreV1Api);
    const list = await kube(rt, () =>
      core.listNamespacedSecret({ namespace, fieldSelector: 'type=kubernetes.io/service-account-token' }),
    );
    const mine = list.items.filter(
      (x) => x.metadata?.annotations?.['kubernetes.io/service-account.name'] === name && x.metadata?.name,
    );
    const deleted: string[] = [];
    for (const secret of mine) {
      const secretName = secret.metadata!.name!;
      try {
        await kube(rt, () => core.deleteNamespacedSecret({ name: secretName, namespace }));
        deleted.push(secretName);
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    }
    return deleted.length === 0
      ? { outcome: 'unchanged', answer: { reason: `no token Secret of ${namespace}/${name} left` } }
      : { outcome: 'done', answer: { deleted } };
  },
};

/**
 * Scales a Deployment to zero replicas as `kubectl scale` does: a JSON merge patch of the scale
 * subresource (a PUT of the read Scale where the server takes no merge patch), remembering the count
 * for the undo.
 */
export const k8sScaleToZero: Action = {
  name: 'k8s.scale-to-zero',
  describe: 'scale a Kubernetes Deployment to zero replicas (apps/v1 scale subresource)',
  subjects: async (incident, options) => workloads(incident, options),
  calls: (s, _o, env) => [
    { method: 'GET', url: `${server(env)}${scalePath(s)}`, note: 'the replica count, for the undo' },
    {
      method: 'PATCH',
      url: `${server(env)}${scalePath(s)}`,
      body: { spec: { replicas: 0 } },
      note: 'application/merge-patch+json',
    },
  ],
  async run(s, _o, rt) {
    const { namespace, name } = s.fields as { namespace: string; name: string };
    const apps = kubeConfig(rt.env).makeApiClient(AppsV1Api);
    // The count before, for the undo: the scale subresource, else the Deployment itself.
    const clientError = (e: unknown) => e instanceof ProviderError && e.status !== undefined && e.status >= 400 && e.status < 500;
    let scale: V1Scale | undefined;
    let before: number | undefined;
    try {
      scale = await kube(rt, () => apps.readNamespacedDeploymentScale({ name, namespace }));
      before = scale.spec?.replicas ?? 0;
    } catch (error) {
      if (!clientError(error) || (error as ProviderError).status === 403) throw error;
      before = (await kube(rt, () => apps.readNamespacedDeployment({ name, namespace }))).spec?.replicas ?? 0;
    }
    const undo: PlannedCall[] = [
      { method: 'PATCH', url: `${server(rt.env)}${scalePath(s)}`, body: { spec: { replicas: before } } },
    ];
    if (before === 0) return { outcome: 'unchanged', answer: { replicas: 0 } };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    let replicas: number | undefined;
    try {
      replicas = (
        await kube(rt, () => apps.patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas: 0 } } }, merge))
      ).spec?.replicas;
    } catch (error) {
      const status = error instanceof ProviderError ? error.status : undefined;
      if (status === 415 && scale !== undefined) {
        // A server without merge patch on the subresource: write the Scale back whole.
        const body = { ...scale, spec: { ...scale.spec, replicas: 0 } };
        replicas = (await kube(rt, () => apps.replaceNamespacedDeploymentScale({ name, namespace, body }))).spec?.replicas;
      } else if (status === 404 || status === 405) {
        // No scale subresource served: the same merge patch on the Deployment.
        replicas = (
          await kube(rt, () => apps.patchNamespacedDeployment({ name, namespace, body: { spec: { replicas: 0 } } }, merge))
        ).spec?.replicas;
      } else throw error;
    }
    return { outcome: 'done', answer: { replicasBefore: before, replicas: replicas ?? 0 }, undo };
  },
};

/** A NetworkPolicy selecting the Deployment's pods with no ingress or egress rule: all traffic denied. */
export const k8sDenyAllNetworkPolicy: Action = {
  name: 'k8s.deny-all-network-policy',
  describe: "isolate a Kubernetes workload's pods with a deny-all NetworkPolicy (ingress and egress)",
  subjects: async (incident, options) => workloads(incident, options),
  calls: (s, _o, env) => [
    {
      method: 'GET',
      url: `${server(env)}/apis/apps/v1/namespaces/${s.fields.namespace}/deployments/${s.fields.name}`,
      note: 'its pod selector',
    },
    {
      method: 'POST',
      url: `${server(env)}${policyPath(s)}`,
      body: {
        metadata: { name: policyName(s) },
        spec: { podSelector: { matchLabels: '<the deployment selector>' }, policyTypes: ['Ingress', 'Egress'] },
      },
    },
  ],
  async run(s, _o, rt) {
    const { namespace, name } = s.fields as { namespace: string; name: string };
    const kc = kubeConfig(rt.env);
    const apps = kc.makeApiClient(AppsV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    const deployment = await kube(rt, () => apps.readNamespacedDeployment({ name, namespace }));
    const matchLabels = deployment.spec?.selector?.matchLabels;
    if (!matchLabels || Object.keys(matchLabels).length === 0)
      throw new ProviderError(`deployment ${namespace}/${name} has no matchLabels selector to isolate by`, undefined);
    const policy: V1NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: policyName(s), namespace, labels: { 'app.kubernetes.io/managed-by': 'warden' } },
      spec: { podSelector: { matchLabels }, policyTypes: ['Ingress', 'Egress'] },
    };
    const undo: PlannedCall[] = [{ method: 'DELETE', url: `${server(rt.env)}${policyPath(s)}/${policyName(s)}` }];
    try {
      await kube(rt, () => net.createNamespacedNetworkPolicy({ namespace, body: policy }));
    } catch (error) {
      if (error instanceof ProviderError && error.status === 409)
        return { outcome: 'unchanged', answer: { status: 409, policy: policyName(s) }, undo };
      throw error;
    }
    return { outcome: 'done', answer: { policy: policyName(s), podSelector: matchLabels }, undo };
  },
};
