/**
 * Kubernetes service accounts as the API server's audit log (`audit.k8s.io/v1` Event, stage
 * ResponseComplete, level Metadata) records them: controllers in their own namespace doing
 * get/list/watch on their resources, renewing a leader lease and writing events, from pods whose
 * bound token (a JTI) the kubelet requests when the pod starts and refreshes daily.
 *
 * Shapes follow https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/ and
 * src/telemetry/parsers/k8s-audit.samples.ts; the bound-token fields are KEP-4193's
 * `authentication.kubernetes.io/*` user extras.
 */
import type { Rng } from './random.js';
import type { Activity, Actor, DayContext, Emit, IdentityProfile } from './types.js';
import { HOUR, MINUTE } from './types.js';
import { at, type Cluster, dailyCount, localMidnight, microTime, node, podIp, spread } from './world.js';

type Rec = Record<string, unknown>;

export interface K8sNode {
  name: string;
  ip: string;
  uid: string;
  cert: string;
}

/** The nodes of each cluster, created on demand and shared by every pod scheduled there. */
export class NodePool {
  readonly nodes = new Map<string, K8sNode[]>();
  readonly used = new Map<string, { node: K8sNode; cluster: Cluster }>();
  constructor(private readonly perCluster: number) {}

  pick(rng: Rng, cluster: Cluster): K8sNode {
    let list = this.nodes.get(cluster.name);
    if (list === undefined) {
      list = [];
      this.nodes.set(cluster.name, list);
    }
    if (list.length < this.perCluster) {
      const n = node(rng, cluster);
      const k: K8sNode = { ...n, cert: `X509SHA256=${rng.hex(64)}` };
      list.push(k);
      return this.mark(k, cluster);
    }
    return this.mark(rng.pick(list), cluster);
  }

  private mark(n: K8sNode, cluster: Cluster): K8sNode {
    this.used.set(n.name, { node: n, cluster });
    return n;
  }
}

export interface K8sCall {
  t: number;
  user: Rec;
  verb: string;
  uri: string;
  ip: string;
  ua: string;
  ref?: Rec;
  code: number;
  reason?: string;
  annotations?: Rec;
  /** How long the request ran (watches run for minutes before ResponseComplete). */
  durationMs?: number;
}

/** One ResponseComplete audit event; returns it (its auditID is the event id). */
export function k8sEvent(rng: Rng, c: K8sCall): Rec {
  const received = c.t - (c.durationMs ?? rng.int(2, 40));
  const e: Rec = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: rng.uuid(),
    stage: 'ResponseComplete',
    requestURI: c.uri,
    verb: c.verb,
    user: c.user,
    sourceIPs: [c.ip],
    userAgent: c.ua,
  };
  if (c.ref !== undefined) e.objectRef = c.ref;
  e.responseStatus =
    c.code < 400
      ? { metadata: {}, code: c.code }
      : { metadata: {}, status: 'Failure', message: c.reason ?? 'error', reason: c.reason ?? 'Unknown', code: c.code };
  e.requestReceivedTimestamp = microTime(received, rng);
  e.stageTimestamp = microTime(c.t, rng);
  if (c.annotations !== undefined) e.annotations = c.annotations;
  return e;
}

export interface SaPod {
  name: string;
  uid: string;
  ip: string;
  node: K8sNode;
  jti: string;
  jtiIssued: number;
}

/** A service account's own RBAC grant, as the authorizer's reason annotation names it. */
function allow(ns: string, sa: string): Rec {
  return {
    'authorization.k8s.io/decision': 'allow',
    'authorization.k8s.io/reason': `RBAC: allowed by RoleBinding "${sa}/${ns}" of Role "${sa}" to ServiceAccount "${sa}/${ns}"`,
  };
}

/** A workload's service account talking to the API server from its pods. */
export class K8sSaActor implements Actor {
  readonly profile: IdentityProfile;
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly sa: string;
  readonly uid: string;
  readonly ua: string;
  readonly shape: 'always' | 'batch';
  readonly tz: number;
  readonly pods: SaPod[] = [];
  readonly batch: { hour: number; minute: number };
  readonly mean: number;
  readonly resources: { configmap: string; secret: string; lease: string };

  constructor(
    rng: Rng,
    name: string,
    app: string,
    cluster: Cluster,
    shape: 'always' | 'batch',
    private readonly nodes: NodePool,
  ) {
    this.cluster = cluster;
    // Namespaces carry the environment, so a prod workload is recognisable by its namespace.
    this.namespace = `${cluster.env}-${app}`;
    this.sa = name;
    this.uid = rng.uuid();
    this.ua = `${name}/v${rng.int(0, 3)}.${rng.int(0, 20)}.${rng.int(0, 9)} (linux/amd64) kubernetes/${rng.hex(7)}`;
    this.shape = shape;
    this.tz = cluster.tz;
    this.batch = { hour: rng.int(0, 5), minute: rng.int(0, 59) };
    this.mean = 40;
    this.resources = {
      configmap: `${name}-config`,
      secret: `${name}-${rng.pick(['tls', 'db', 'credentials'])}`,
      lease: `${name}-leader`,
    };
    this.profile = {
      id: `system:serviceaccount:${this.namespace}:${name}`,
      kind: 'k8s-sa',
      source: 'k8s-audit',
      name,
      schedule: shape,
      tzOffsetHours: this.tz,
      environment: cluster.env,
    };
  }

  get user(): (pod: SaPod) => Rec {
    return (pod) => ({
      username: this.profile.id,
      uid: this.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${this.namespace}`, 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/credential-id': [pod.jti],
        'authentication.kubernetes.io/node-name': [pod.node.name],
        'authentication.kubernetes.io/node-uid': [pod.node.uid],
        'authentication.kubernetes.io/pod-name': [pod.name],
        'authentication.kubernetes.io/pod-uid': [pod.uid],
      },
    });
  }

  /** The kubelet asks for a bound token for the pod (TokenRequest); its JTI becomes the pod's credential. */
  issueToken(rng: Rng, emit: Emit, t: number, pod: SaPod): void {
    pod.jti = `JTI=${rng.uuid()}`;
    pod.jtiIssued = t;
    emit(
      'k8s-audit',
      t,
      k8sEvent(rng, {
        t,
        user: {
          username: `system:node:${pod.node.name}`,
          groups: ['system:nodes', 'system:authenticated'],
          extra: { 'authentication.kubernetes.io/credential-id': [pod.node.cert] },
        },
        verb: 'create',
        uri: `/api/v1/namespaces/${this.namespace}/serviceaccounts/${this.sa}/token`,
        ip: pod.node.ip,
        ua: 'kubelet/v1.30.2 (linux/amd64) kubernetes/3968350',
        ref: { resource: 'serviceaccounts', namespace: this.namespace, name: this.sa, apiVersion: 'v1', subresource: 'token' },
        code: 201,
        annotations: {
          'authorization.k8s.io/decision': 'allow',
          'authorization.k8s.io/reason': '',
          'authentication.kubernetes.io/issued-credential-id': pod.jti,
        },
      }),
    );
  }

  /** A new pod (new name, address in the cluster's pod range, maybe another node) with a fresh token. */
  startPod(rng: Rng, emit: Emit, t: number, index: number): SaPod {
    const name =
      this.shape === 'batch'
        ? `${this.sa}-${Math.floor(t / MINUTE)}-${rng.chars('bcdfghjklmnpqrstvwxz2456789', 5)}`
        : `${this.sa}-${rng.hex(10)}-${rng.chars('bcdfghjklmnpqrstvwxz2456789', 5)}`;
    const pod: SaPod = {
      name,
      uid: rng.uuid(),
      ip: podIp(rng, this.cluster),
      node: this.nodes.pick(rng, this.cluster),
      jti: '',
      jtiIssued: t,
    };
    this.issueToken(rng, emit, t - rng.int(1000, 5000), pod);
    this.pods[index] = pod;
    return pod;
  }

  /** One ordinary API call from `pod`. */
  call(rng: Rng, emit: Emit, t: number, pod: SaPod, fail: boolean): void {
    const ns = this.namespace;
    const op = rng.weighted([
      ['getcm', 20],
      ['listpods', 14],
      ['watchcm', 14],
      ['watcheps', 8],
      ['getsecret', 10],
      ['lease', 24],
      ['event', 10],
    ] as const);
    const base = { t, user: this.user(pod), ip: pod.ip, ua: this.ua, annotations: allow(ns, this.sa) };
    let c: K8sCall;
    switch (op) {
      case 'getcm':
        c = {
          ...base,
          verb: 'get',
          uri: `/api/v1/namespaces/${ns}/configmaps/${this.resources.configmap}`,
          ref: { resource: 'configmaps', namespace: ns, name: this.resources.configmap, apiVersion: 'v1' },
          code: fail ? 404 : 200,
        };
        if (fail) c.reason = 'NotFound';
        break;
      case 'listpods':
        c = {
          ...base,
          verb: 'list',
          uri: `/api/v1/namespaces/${ns}/pods?limit=500`,
          ref: { resource: 'pods', namespace: ns, apiVersion: 'v1' },
          code: 200,
        };
        break;
      case 'watchcm':
        c = {
          ...base,
          verb: 'watch',
          uri: `/api/v1/namespaces/${ns}/configmaps?allowWatchBookmarks=true&resourceVersion=${rng.int(1e6, 9e6)}&timeout=${rng.int(5, 9)}m${rng.int(0, 59)}s&timeoutSeconds=${rng.int(300, 600)}&watch=true`,
          ref: { resource: 'configmaps', namespace: ns, apiVersion: 'v1' },
          code: 200,
          durationMs: rng.int(300, 600) * 1000,
        };
        break;
      case 'watcheps':
        c = {
          ...base,
          verb: 'watch',
          uri: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?allowWatchBookmarks=true&resourceVersion=${rng.int(1e6, 9e6)}&watch=true`,
          ref: { resource: 'endpointslices', namespace: ns, apiGroup: 'discovery.k8s.io', apiVersion: 'v1' },
          code: 200,
          durationMs: rng.int(300, 600) * 1000,
        };
        break;
      case 'getsecret':
        c = {
          ...base,
          verb: 'get',
          uri: `/api/v1/namespaces/${ns}/secrets/${this.resources.secret}`,
          ref: { resource: 'secrets', namespace: ns, name: this.resources.secret, apiVersion: 'v1' },
          code: 200,
        };
        break;
      case 'lease':
        c = {
          ...base,
          verb: 'update',
          uri: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${this.resources.lease}`,
          ref: {
            resource: 'leases',
            namespace: ns,
            name: this.resources.lease,
            apiGroup: 'coordination.k8s.io',
            apiVersion: 'v1',
          },
          code: fail ? 409 : 200,
        };
        if (fail) c.reason = 'Conflict';
        break;
      default:
        c = {
          ...base,
          verb: 'create',
          uri: `/api/v1/namespaces/${ns}/events`,
          ref: { resource: 'events', namespace: ns, apiVersion: 'v1' },
          code: 201,
        };
    }
    emit('k8s-audit', t, k8sEvent(rng, c));
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    const out: Activity[] = [];
    if (this.shape === 'batch') {
      const t0 = at(ctx, rng, this.tz, this.batch.hour, this.batch.minute);
      const calls = Math.max(3, Math.round(rng.int(6, 14) * Math.min(ctx.scale, 4)));
      out.push({
        t: t0,
        run: () => {
          const pod = this.startPod(rng, emit, t0, 0);
          let t = t0 + rng.int(3, 10) * 1000;
          for (let i = 0; i < calls; i++) {
            t += rng.int(500, 8000);
            this.call(rng, emit, t, pod, false);
          }
        },
      });
      return out;
    }
    // Planned in the local day, like the calls, so one day's plan never overtakes the next.
    const midnight = localMidnight(ctx, this.tz);
    if (this.pods.length === 0) {
      // Replicas already running when the scenario starts.
      for (let i = rng.int(1, 3) - 1; i >= 0; i--) {
        const t = midnight - rng.int(1, 20) * HOUR;
        out.push({ t: midnight, run: () => this.startPod(rng, emit, t, i) });
      }
    }
    const replicas = Math.max(1, this.pods.length);
    for (let i = 0; i < replicas; i++) {
      // A restart (new pod, new JTI, new address in the same /16), or the kubelet's daily token refresh.
      if (rng.chance(0.1)) {
        const t = midnight + rng.int(1, 23 * 60) * MINUTE;
        out.push({ t, run: () => this.startPod(rng, emit, t, i) });
      } else {
        const t = midnight + rng.int(1, 23 * 60) * MINUTE;
        out.push({
          t,
          run: () => {
            const pod = this.pods[i];
            if (pod !== undefined && t - pod.jtiIssued > 20 * HOUR) this.issueToken(rng, emit, t, pod);
          },
        });
      }
    }
    const n = dailyCount(ctx, rng, this.mean * ctx.scale, 'always');
    const times = spread(ctx, rng, this.tz, n, 'always');
    const failAt = rng.chance(0.05) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
    for (const [i, t] of times.entries()) {
      out.push({
        t,
        run: () => {
          const pod = rng.pick(this.pods);
          if (pod !== undefined) this.call(rng, emit, t, pod, i === failAt);
        },
      });
    }
    return out;
  }
}

/** A node as an identity (it issues its pods' tokens). */
export function nodeProfile(n: K8sNode, cluster: Cluster): IdentityProfile {
  return {
    id: `system:node:${n.name}`,
    kind: 'k8s-node',
    source: 'k8s-audit',
    name: n.name,
    schedule: 'always',
    tzOffsetHours: cluster.tz,
    environment: cluster.env,
    support: true,
  };
}
