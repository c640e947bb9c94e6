/**
 * Vault identities as the file audit device records them: Kubernetes-auth service accounts (pods log
 * in, Vault Agent renews the token, the app reads KV paths under its own prefix and leases dynamic
 * database credentials; pods restart and revoke their token on the way out) and a CI AppRole that
 * creates a child token per job and revokes it by accessor when the job ends.
 *
 * Each call is two entries, request then response, sharing `request.id`; strings in `auth` and
 * request/response data are `hmac-sha256:<hex>`, and the same plaintext always has the same HMAC
 * (one device salt), so a token's accessor HMAC joins its login, its uses and its revocation. Shapes
 * follow https://developer.hashicorp.com/vault/docs/audit/schema and src/telemetry/parsers/vault.samples.ts.
 */
import type { Rng } from './random.js';
import type { Activity, Actor, DayContext, Emit, IdentityProfile } from './types.js';
import { HOUR, MINUTE } from './types.js';
import { at, type Cluster, dailyCount, isWeekend, localMidnight, podIp, spread, vaultTime } from './world.js';

type Rec = Record<string, unknown>;

/** Mounts as the audit entries describe them (accessors are fixed per mount, as in a real cluster). */
export const MOUNTS = {
  kv: {
    mount_point: 'secret/',
    mount_type: 'kv',
    mount_accessor: 'kv_4f1c2a9e',
    mount_running_version: 'v0.21.0+builtin',
    mount_class: 'secret',
  },
  db: {
    mount_point: 'database/',
    mount_type: 'database',
    mount_accessor: 'database_7b3e91d0',
    mount_running_version: 'v1.17.2+builtin.vault',
    mount_class: 'secret',
  },
  token: { mount_point: 'auth/token/', mount_type: 'token', mount_accessor: 'auth_token_2d8f6c41', mount_class: 'auth' },
  approle: { mount_point: 'auth/approle/', mount_type: 'approle', mount_accessor: 'auth_approle_9a0b7e35', mount_class: 'auth' },
  userpass: {
    mount_point: 'auth/userpass/',
    mount_type: 'userpass',
    mount_accessor: 'auth_userpass_5c2d8e13',
    mount_class: 'auth',
  },
} as const;
type Mount = Rec;

/** One Kubernetes auth mount per cluster. */
export function k8sMount(cluster: Cluster): Mount {
  return {
    mount_point: `auth/k8s-${cluster.name}/`,
    mount_type: 'kubernetes',
    mount_accessor: `auth_kubernetes_${cluster.podB.toString(16)}c${cluster.nodeB.toString(16)}e0a7`,
    mount_class: 'auth',
  };
}

/** A Vault token as the audit device shows it (every string already HMAC'd). */
export interface VaultToken {
  clientToken: string;
  accessor: string;
  displayName: string;
  policies: string[];
  metadata: Rec | null;
  entityId: string | undefined;
  ttl: number;
  issued: number;
}

export function newToken(rng: Rng, t: number, base: Omit<VaultToken, 'clientToken' | 'accessor' | 'issued'>): VaultToken {
  return { ...base, clientToken: rng.hmac(), accessor: rng.hmac(), issued: t };
}

/** The `auth` object of an entry made with `tok`. */
export function authOf(tok: VaultToken): Rec {
  const a: Rec = {
    client_token: tok.clientToken,
    accessor: tok.accessor,
    display_name: tok.displayName,
    policies: tok.policies,
    token_policies: tok.policies,
    identity_policies: [],
    metadata: tok.metadata,
  };
  if (tok.entityId !== undefined) a.entity_id = tok.entityId;
  a.token_type = 'service';
  a.token_ttl = tok.ttl;
  a.token_issue_time = new Date(tok.issued).toISOString().slice(0, 19) + 'Z';
  return a;
}

export interface VaultCall {
  t: number;
  /** The caller's token; undefined for logins. A raw `auth` object for unusual callers (a revoked token). */
  auth: VaultToken | Rec | undefined;
  path: string;
  operation: string;
  mount: Mount;
  ip: string;
  ua: string;
  data?: Rec;
  response?: Rec;
  error?: string;
  /** For logins and token creation: the token the response carries. */
  issued?: VaultToken;
}

const isToken = (a: VaultToken | Rec | undefined): a is VaultToken => a !== undefined && 'clientToken' in a;

/**
 * Emits the request and response entries of one call; returns the request id (the event id).
 * A login's request entry has no principal; its response entry's `auth` is the new token's.
 */
export function vaultCall(rng: Rng, emit: Emit, c: VaultCall): string {
  const id = rng.uuid();
  const callerAuth: Rec =
    c.auth === undefined
      ? { token_type: 'default' }
      : isToken(c.auth)
        ? {
            ...authOf(c.auth),
            policy_results: {
              allowed: c.error === undefined,
              granting_policies:
                c.error === undefined
                  ? c.auth.policies.filter((p) => p !== 'default').map((name) => ({ name, namespace_id: 'root', type: 'acl' }))
                  : [],
            },
          }
        : c.auth;
  const request: Rec = { id };
  if (c.auth !== undefined)
    request.client_id = `${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 43)}=`;
  request.operation = c.operation;
  Object.assign(request, c.mount);
  if (isToken(c.auth)) {
    request.client_token = c.auth.clientToken;
    request.client_token_accessor = c.auth.accessor;
  } else if (c.auth !== undefined && typeof c.auth.client_token === 'string') {
    request.client_token = c.auth.client_token;
  }
  request.namespace = { id: 'root' };
  request.path = c.path;
  if (c.data !== undefined) request.data = c.data;
  request.remote_address = c.ip;
  request.remote_port = rng.int(30000, 65000);
  request.headers = { 'user-agent': [c.ua] };
  const req: Rec = { time: vaultTime(c.t, rng), type: 'request', auth: callerAuth, request };
  if (c.error !== undefined) req.error = c.error;
  emit('vault', c.t, req);
  const responseAuth = c.issued !== undefined ? authOf(c.issued) : undefined;
  const response: Rec = { ...c.mount, ...c.response };
  if (responseAuth !== undefined && c.path.includes('/login')) response.auth = responseAuth;
  const t2 = c.t + rng.int(1, 40);
  const res: Rec = {
    time: vaultTime(t2, rng),
    type: 'response',
    auth: responseAuth !== undefined && c.path.includes('/login') ? responseAuth : callerAuth,
    request,
    response,
  };
  if (c.error !== undefined) res.error = c.error;
  emit('vault', t2, res);
  return id;
}

/** Error text Vault writes for a denied request. */
export const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';

const AGENTS = {
  agent: 'Vault Agent/1.17.2 (+https://www.vaultproject.io/; go1.22.5)',
  go: 'Go-http-client/1.1',
  hvac: 'python-requests/2.31.0',
  java: 'Apache-HttpClient/5.2.1 (Java/17.0.9)',
} as const;

/** A KV v2 read of `path` under the mount (`secret/data/…`). */
export function kvRead(
  rng: Rng,
  emit: Emit,
  t: number,
  tok: VaultToken | Rec,
  ip: string,
  ua: string,
  path: string,
  error?: string,
): string {
  const c: VaultCall = {
    t,
    auth: tok,
    path,
    operation: 'read',
    mount: MOUNTS.kv,
    ip,
    ua,
    response:
      error === undefined
        ? { data: { data: { value: rng.hmac() }, metadata: { created_time: rng.hmac(), version: rng.int(1, 9) } } }
        : {},
  };
  if (error !== undefined) c.error = error;
  return vaultCall(rng, emit, c);
}

/** A pod of a Vault-authenticating workload and the token it holds. */
export interface VaultPod {
  name: string;
  ip: string;
  token: VaultToken | undefined;
}

/**
 * A Kubernetes service account authenticating to Vault: its entity id is the identity the parser
 * names, with `system:serviceaccount:NS:NAME` as `via`.
 */
export class VaultK8sActor implements Actor {
  readonly profile: IdentityProfile;
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly sa: string;
  readonly entityId: string;
  readonly saUid: string;
  readonly role: string;
  readonly policies: string[];
  readonly prefix: string;
  readonly paths: string[];
  readonly dbRole: string | undefined;
  readonly ua: string;
  readonly shape: 'always' | 'business' | 'batch';
  readonly tz: number;
  readonly batch: { hour: number; minute: number };
  readonly pods: VaultPod[] = [];
  readonly mean: number;
  /** Whether Vault Agent revokes the token when the pod stops (revoke-on-shutdown). */
  readonly revokeOnExit: boolean;

  constructor(rng: Rng, name: string, app: string, cluster: Cluster, shape: 'always' | 'business' | 'batch') {
    this.cluster = cluster;
    this.namespace = app;
    this.sa = name;
    this.entityId = rng.uuid();
    this.saUid = rng.uuid();
    this.role = `${app}-${name}`;
    this.policies = ['default', `${cluster.env}-${app}-read`];
    // KV paths are per application and service account: `secret/data/<app>/<sa>/<name>`.
    this.prefix = `secret/data/${app}/${name}`;
    this.paths = ['db', 'api-keys', 'tls', 'config', 'smtp'].slice(0, rng.int(2, 4)).map((p) => `${this.prefix}/${p}`);
    this.dbRole = rng.chance(0.4) ? `${app}-ro` : undefined;
    this.ua = shape === 'always' ? AGENTS.agent : rng.pick([AGENTS.go, AGENTS.hvac, AGENTS.java]);
    this.shape = shape;
    this.tz = cluster.tz;
    this.batch = { hour: rng.pick([0, 1, 2, 3, 4, 23]), minute: rng.int(0, 59) };
    this.mean = shape === 'always' ? 30 : 24;
    this.revokeOnExit = rng.chance(0.7);
    const replicas = shape === 'always' ? rng.int(1, 3) : 1;
    for (let i = 0; i < replicas; i++) this.pods.push(this.newPod(rng));
    this.profile = {
      id: this.entityId,
      kind: 'vault-k8s-sa',
      source: 'vault',
      name: `system:serviceaccount:${app}:${name}`,
      schedule: shape,
      tzOffsetHours: this.tz,
      environment: cluster.env,
    };
  }

  newPod(rng: Rng): VaultPod {
    return {
      name: `${this.sa}-${rng.hex(10)}-${rng.chars('bcdfghjklmnpqrstvwxz2456789', 5)}`,
      ip: podIp(rng, this.cluster),
      token: undefined,
    };
  }

  get mount(): Mount {
    return k8sMount(this.cluster);
  }

  /** The pod logs in with its service-account JWT; its new token becomes the pod's. */
  login(rng: Rng, emit: Emit, t: number, pod: VaultPod, ttl: number): string {
    const tok = newToken(rng, t, {
      displayName: `k8s-${this.cluster.name}-${this.namespace}-${this.sa}`,
      policies: this.policies,
      metadata: {
        role: this.role,
        service_account_name: this.sa,
        service_account_namespace: this.namespace,
        service_account_secret_name: '',
        service_account_uid: this.saUid,
      },
      entityId: this.entityId,
      ttl,
    });
    pod.token = tok;
    return vaultCall(rng, emit, {
      t,
      auth: undefined,
      path: `${this.mount.mount_point}login`,
      operation: 'update',
      mount: this.mount,
      ip: pod.ip,
      ua: this.ua,
      data: { jwt: rng.hmac(), role: rng.hmac() },
      response: {},
      issued: tok,
    });
  }

  renew(rng: Rng, emit: Emit, t: number, pod: VaultPod): void {
    const tok = pod.token;
    if (tok === undefined) return;
    vaultCall(rng, emit, {
      t,
      auth: tok,
      path: 'auth/token/renew-self',
      operation: 'update',
      mount: MOUNTS.token,
      ip: pod.ip,
      ua: this.ua,
      response: {},
    });
  }

  revokeSelf(rng: Rng, emit: Emit, t: number, pod: VaultPod): void {
    const tok = pod.token;
    if (tok === undefined) return;
    vaultCall(rng, emit, {
      t,
      auth: tok,
      path: 'auth/token/revoke-self',
      operation: 'update',
      mount: MOUNTS.token,
      ip: pod.ip,
      ua: this.ua,
      response: {},
    });
    pod.token = undefined;
  }

  /** One read by the pod: a KV path of its own, or dynamic database credentials. */
  read(rng: Rng, emit: Emit, t: number, pod: VaultPod, fail: boolean): void {
    if (pod.token === undefined)
      this.login(rng, emit, t - rng.int(200, 2000), pod, this.shape === 'always' ? 8 * 3600 : 12 * 3600);
    const tok = pod.token!;
    if (this.dbRole !== undefined && rng.chance(0.12)) {
      vaultCall(rng, emit, {
        t,
        auth: tok,
        path: `database/creds/${this.dbRole}`,
        operation: 'read',
        mount: MOUNTS.db,
        ip: pod.ip,
        ua: this.ua,
        response: {
          secret: {
            lease_id: `database/creds/${this.dbRole}/${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 24)}`,
          },
          data: { username: rng.hmac(), password: rng.hmac() },
        },
      });
      return;
    }
    // A benign denial: a path renamed last sprint, still in one template.
    const path = fail ? `${this.prefix}/legacy-${rng.pick(['db', 'creds', 'keys'])}` : rng.pick(this.paths);
    kvRead(rng, emit, t, tok, pod.ip, this.ua, path, fail ? PERMISSION_DENIED : undefined);
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    const out: Activity[] = [];
    if (this.shape === 'batch') {
      // A CronJob: a new pod each run logs in, reads a few paths, revokes its token.
      const t0 = at(ctx, rng, this.tz, this.batch.hour, this.batch.minute);
      const reads = Math.max(1, Math.round(rng.int(2, 5) * Math.min(ctx.scale, 4)));
      out.push({
        t: t0,
        run: () => {
          const pod = this.newPod(rng);
          this.pods[0] = pod;
          let t = t0;
          this.login(rng, emit, t, pod, 3600);
          for (let i = 0; i < reads; i++) {
            t += rng.int(200, 4000);
            this.read(rng, emit, t, pod, false);
          }
          this.revokeSelf(rng, emit, t + rng.int(500, 3000), pod);
        },
      });
      return out;
    }
    if (this.shape === 'business') {
      if (isWeekend(ctx)) return out;
      const pod = this.pods[0]!;
      const open = localMidnight(ctx, this.tz) + 8 * HOUR + rng.int(0, 30) * MINUTE;
      const close = localMidnight(ctx, this.tz) + 19 * HOUR + rng.int(0, 40) * MINUTE;
      out.push({ t: open, run: () => this.login(rng, emit, open, pod, 12 * 3600) });
      const n = dailyCount(ctx, rng, this.mean * ctx.scale, 'business');
      const times = spread(ctx, rng, this.tz, n, 'business').filter((t) => t > open && t < close);
      const failAt = rng.chance(0.04) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
      for (const [i, t] of times.entries()) out.push({ t, run: () => this.read(rng, emit, t, pod, i === failAt) });
      out.push({ t: close, run: () => this.revokeSelf(rng, emit, close, pod) });
      return out;
    }
    // Always on: each pod renews every ~5h20m (2/3 of an 8h TTL) and logs in again after ~24h.
    // Everything is planned in the local day, like the reads, so one day's plan never overtakes the next.
    const start = localMidnight(ctx, this.tz);
    for (const pod of this.pods) {
      let next = start + rng.int(0, 320) * MINUTE;
      while (next < start + 24 * HOUR) {
        const t = next;
        out.push({
          t,
          run: () => {
            const tok = pod.token;
            if (tok === undefined || t - tok.issued > 23 * HOUR) this.login(rng, emit, t, pod, 8 * 3600);
            else this.renew(rng, emit, t, pod);
          },
        });
        next += 320 * MINUTE + rng.int(-10, 10) * MINUTE;
      }
      // A rolling restart now and then: the new pod (new address, same /16) logs in, then the old one
      // stops and its agent revokes the old token; from then on the new pod does the work.
      if (rng.chance(0.12)) {
        const t = start + rng.int(2, 23 * 60) * MINUTE;
        out.push({
          t,
          run: () => {
            const fresh = this.newPod(rng);
            this.login(rng, emit, t - rng.int(20, 90) * 1000, fresh, 8 * 3600);
            if (this.revokeOnExit) this.revokeSelf(rng, emit, t, pod);
            pod.name = fresh.name;
            pod.ip = fresh.ip;
            pod.token = fresh.token;
          },
        });
      }
    }
    const n = dailyCount(ctx, rng, this.mean * ctx.scale, 'always');
    const times = spread(ctx, rng, this.tz, n, 'always');
    const failAt = rng.chance(0.04) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
    times.forEach((t, i) => {
      const pod = rng.pick(this.pods);
      out.push({ t, run: () => this.read(rng, emit, t, pod, i === failAt) });
    });
    return out;
  }
}

/**
 * A CI pipeline's AppRole: each run logs in, reads its CI secrets, creates a short-lived child token
 * for the deploy job, and revokes it by accessor when the job is done (the normal lifecycle).
 */
export class VaultApproleActor implements Actor {
  readonly profile: IdentityProfile;
  readonly entityId: string;
  readonly name: string;
  readonly policies: string[];
  readonly prefix: string;
  readonly ipB: number;
  readonly tz: number;
  readonly ua = 'Vault/1.17.2 (+https://www.vaultproject.io/; go1.22.5)';

  constructor(rng: Rng, name: string, tz: number) {
    this.entityId = rng.uuid();
    this.name = name;
    this.policies = ['default', `ci-${name}`];
    this.prefix = `secret/data/ci/${name}`;
    this.ipB = 20;
    this.tz = tz;
    this.profile = {
      id: this.entityId,
      kind: 'vault-approle-ci',
      source: 'vault',
      name: `approle:ci-${name}`,
      schedule: 'deploy',
      tzOffsetHours: tz,
    };
  }

  runnerIp(rng: Rng): string {
    return `10.${this.ipB}.${rng.int(0, 15)}.${rng.int(10, 250)}`;
  }

  login(rng: Rng, emit: Emit, t: number, ip: string): VaultToken {
    const tok = newToken(rng, t, {
      displayName: 'approle',
      policies: this.policies,
      metadata: { role_name: `ci-${this.name}` },
      entityId: this.entityId,
      ttl: 1200,
    });
    vaultCall(rng, emit, {
      t,
      auth: undefined,
      path: 'auth/approle/login',
      operation: 'update',
      mount: MOUNTS.approle,
      ip,
      ua: this.ua,
      data: { role_id: rng.hmac(), secret_id: rng.hmac() },
      response: {},
      issued: tok,
    });
    return tok;
  }

  /** `auth/token/create` by `parent`: a child token (same entity) or, with `orphan`, a standalone one. */
  createToken(
    rng: Rng,
    emit: Emit,
    t: number,
    parent: VaultToken,
    ip: string,
    child: Omit<VaultToken, 'clientToken' | 'accessor' | 'issued'>,
    path = 'auth/token/create',
  ): { token: VaultToken; id: string } {
    const token = newToken(rng, t, child);
    const id = vaultCall(rng, emit, {
      t,
      auth: parent,
      path,
      operation: 'update',
      mount: MOUNTS.token,
      ip,
      ua: this.ua,
      data: { display_name: rng.hmac(), policies: [rng.hmac()], ttl: rng.hmac() },
      response: { auth: { ...authOf(token), orphan: path.endsWith('-orphan') } },
      issued: token,
    });
    return { token, id };
  }

  private run(rng: Rng, emit: Emit, t0: number): void {
    const ip = this.runnerIp(rng);
    let t = t0;
    const tok = this.login(rng, emit, t, ip);
    for (let i = rng.int(1, 3); i > 0; i--) {
      t += rng.int(300, 3000);
      kvRead(rng, emit, t, tok, ip, this.ua, `${this.prefix}/${rng.pick(['registry', 'deploy-key', 'sonar'])}`);
    }
    t += rng.int(2000, 20_000);
    const { token: child } = this.createToken(rng, emit, t, tok, ip, {
      displayName: `token-ci-${this.name}-job`,
      policies: ['default', `deploy-${this.name}`],
      metadata: null,
      entityId: this.entityId,
      ttl: 900,
    });
    for (let i = rng.int(1, 2); i > 0; i--) {
      t += rng.int(5000, 60_000);
      kvRead(rng, emit, t, child, ip, this.ua, `${this.prefix}/deploy-${rng.pick(['db', 'api'])}`);
    }
    // The job is done: its token is revoked by accessor, then the run's own token.
    t += rng.int(60_000, 300_000);
    vaultCall(rng, emit, {
      t,
      auth: tok,
      path: 'auth/token/revoke-accessor',
      operation: 'update',
      mount: MOUNTS.token,
      ip,
      ua: this.ua,
      data: { accessor: child.accessor },
      response: {},
    });
    t += rng.int(500, 3000);
    vaultCall(rng, emit, {
      t,
      auth: tok,
      path: 'auth/token/revoke-self',
      operation: 'update',
      mount: MOUNTS.token,
      ip,
      ua: this.ua,
      response: {},
    });
  }

  plan(ctx: DayContext): Activity[] {
    const { rng } = ctx;
    const n = dailyCount(ctx, rng, 5 * Math.min(ctx.scale, 3), 'business');
    return spread(ctx, rng, this.tz, n, 'business').map((t) => ({ t, run: () => this.run(rng, ctx.emit, t) }));
  }
}

/** A person on call with a userpass token (used by the scenario for a revocation). */
export function operatorToken(rng: Rng, t: number): VaultToken {
  return newToken(rng, t - 2 * HOUR, {
    displayName: 'userpass-oncall',
    policies: ['default', 'vault-operator'],
    metadata: { username: 'oncall' },
    entityId: '00000000-0000-4000-8000-0000000000aa',
    ttl: 28800,
  });
}
