/**
 * Synthetic Vault file-audit-device records, shaped as Vault writes them (`audit/types.go`, field
 * names and nesting exact; https://developer.hashicorp.com/vault/docs/audit/schema). Every string a
 * real device would HMAC is `hmac-sha256:<64 hex>`; addresses are from 10.0.0.0/8 and 192.0.2.0/24;
 * nothing here is a real secret. The same seed gives the same records.
 *
 * Covered, in log order: Kubernetes-auth login; KV v2 and KV v1 reads; a dynamic database lease;
 * AppRole login; token create (plain and response-wrapped); AppRole secret-id generation; revocation
 * by accessor, by token, by lease id in the body and in the path, and revoke-self; an ACL policy write
 * whose response is logged before its request; a denied read; a failed login; a root token; a batch
 * token (no accessor) in an Enterprise namespace; interleaved pairs; a request that never gets a
 * response; a response whose request is not in the log; and three records to reject.
 */
import { createRandom, randomChars } from '../../model/random.js';

type Rec = Record<string, unknown>;

/** Random helpers over one PRNG, shared by the Vault and Kubernetes samples. */
export function sampleRandom(seed: number) {
  const next = createRandom(seed);
  const pick = (alphabet: string, n: number): string => randomChars(alphabet, n, next);
  const hex = (n: number) => pick('0123456789abcdef', n);
  return {
    next,
    hex,
    alnum: (n: number) => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', n),
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(next() * 4)]}${hex(3)}-${hex(12)}`,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
  };
}

/**
 * A realistic mixed Vault audit log as parsed JSON records (one per line), seeded.
 *
 * @example
 * const lines = sampleRecords(7).map((r) => JSON.stringify(r));
 */
export function sampleRecords(seed = 1): unknown[] {
  const r = sampleRandom(seed);
  const hmac = () => `hmac-sha256:${r.hex(64)}`;
  let clock = Date.UTC(2025, 5, 5, 16, 10, 0) + r.int(0, 3_600_000);
  /** RFC 3339 with nanoseconds, as Vault writes `time`. */
  const tick = (ms = r.int(1, 40)): string => {
    clock += ms;
    return new Date(clock).toISOString().slice(0, 23) + String(r.int(0, 999_999)).padStart(6, '0') + 'Z';
  };
  const rootNs = { id: 'root' };

  // Principals. Each `auth` is what Vault logs for the token making a call.
  const k8sNode = `10.0.${r.int(1, 3)}.${r.int(10, 250)}`;
  const payments = {
    client_token: hmac(),
    accessor: hmac(),
    display_name: 'kubernetes-payments-payments-api',
    policies: ['default', 'payments-read'],
    token_policies: ['default', 'payments-read'],
    identity_policies: [],
    metadata: {
      role: 'payments',
      service_account_name: 'payments-api',
      service_account_namespace: 'payments',
      service_account_secret_name: '',
      service_account_uid: r.uuid(),
    },
    entity_id: r.uuid(),
    token_type: 'service',
    token_ttl: 3600,
    token_issue_time: '',
  };
  const ci = {
    client_token: hmac(),
    accessor: hmac(),
    display_name: 'approle',
    policies: ['ci-deployer', 'default'],
    token_policies: ['ci-deployer', 'default'],
    metadata: { role_name: 'ci-deployer' },
    entity_id: r.uuid(),
    token_type: 'service',
    token_ttl: 1200,
    token_issue_time: '',
  };
  const backup = {
    client_token: hmac(),
    accessor: hmac(),
    display_name: 'token-nightly-backup',
    policies: ['backup', 'default'],
    token_policies: ['backup', 'default'],
    token_type: 'service',
    token_ttl: 86400,
    token_issue_time: '',
  };
  const alice = {
    client_token: hmac(),
    accessor: hmac(),
    display_name: 'userpass-alice',
    policies: ['admin', 'default'],
    token_policies: ['admin', 'default'],
    metadata: { username: 'alice' },
    entity_id: r.uuid(),
    token_type: 'service',
    token_ttl: 28800,
    token_issue_time: '2025-06-05T08:02:11Z',
  };
  const root = {
    client_token: hmac(),
    accessor: hmac(),
    display_name: 'root',
    policies: ['root'],
    token_policies: ['root'],
    token_type: 'service',
    token_issue_time: '2025-06-01T09:00:00Z',
  };
  // Batch tokens have no accessor (https://developer.hashicorp.com/vault/docs/concepts/tokens#batch-tokens).
  const batch = {
    client_token: hmac(),
    display_name: 'kubernetes-batch-jobs-report-runner',
    policies: ['default', 'reports'],
    token_policies: ['default', 'reports'],
    metadata: {
      role: 'reports',
      service_account_name: 'report-runner',
      service_account_namespace: 'batch-jobs',
      service_account_secret_name: '',
      service_account_uid: r.uuid(),
    },
    entity_id: r.uuid(),
    token_type: 'batch',
    token_ttl: 900,
    token_issue_time: '2025-06-05T16:00:00Z',
  };
  const mounts = {
    kv2: { mount_point: 'secret/', mount_type: 'kv', mount_accessor: `kv_${r.hex(8)}`, mount_running_version: 'v0.21.0+builtin' },
    kv1: { mount_point: 'kv/', mount_type: 'kv', mount_accessor: `kv_${r.hex(8)}`, mount_running_version: 'v0.21.0+builtin' },
    db: { mount_point: 'database/', mount_type: 'database', mount_accessor: `database_${r.hex(8)}` },
    token: { mount_point: 'auth/token/', mount_type: 'token', mount_accessor: `auth_token_${r.hex(8)}` },
    k8s: { mount_point: 'auth/kubernetes/', mount_type: 'kubernetes', mount_accessor: `auth_kubernetes_${r.hex(8)}` },
    approle: { mount_point: 'auth/approle/', mount_type: 'approle', mount_accessor: `auth_approle_${r.hex(8)}` },
    sys: { mount_point: 'sys/', mount_type: 'system', mount_accessor: `system_${r.hex(8)}` },
  };

  interface Call {
    auth: Rec | undefined;
    path: string;
    operation: string;
    mount: Rec;
    ip: string;
    data?: Rec;
    namespace?: Rec;
    headers?: Rec;
    wrapTtl?: number;
    error?: string;
    response?: Rec;
  }
  /** The request entry and the response entry Vault writes for one call. */
  const call = (c: Call): [Rec, Rec] => {
    const auth = c.auth === undefined ? { token_type: 'default' } : { ...c.auth, policy_results: { allowed: true } };
    const request: Rec = {
      id: r.uuid(),
      client_id: c.auth === undefined ? undefined : `${r.alnum(43)}=`,
      operation: c.operation,
      ...c.mount,
      mount_class: String(c.mount.mount_point).startsWith('auth/')
        ? 'auth'
        : c.mount.mount_type === 'system'
          ? undefined
          : 'secret',
      client_token: c.auth?.client_token,
      client_token_accessor: c.auth?.accessor,
      namespace: c.namespace ?? rootNs,
      path: c.path,
      data: c.data,
      remote_address: c.ip,
      remote_port: r.int(30000, 65000),
      headers: c.headers,
      wrap_ttl: c.wrapTtl,
    };
    for (const k of Object.keys(request)) if (request[k] === undefined) delete request[k];
    const req: Rec = { time: tick(), type: 'request', auth, request };
    if (c.error !== undefined) req.error = c.error;
    const res: Rec = { time: tick(), auth, request, response: { ...c.mount, ...c.response }, type: 'response' };
    if (c.error !== undefined) res.error = c.error;
    return [req, res];
  };
  const issue = <T extends Rec>(token: T): T => ({
    ...token,
    token_issue_time: new Date(clock).toISOString().slice(0, 19) + 'Z',
  });
  const leaseId = `database/creds/payments-ro/${r.alnum(24)}`;
  const ciIp = `10.20.${r.int(0, 9)}.${r.int(10, 250)}`;
  const adminIp = `192.0.2.${r.int(10, 60)}`;

  const out: unknown[] = [];
  // 1. payments-api logs in with its Kubernetes service-account JWT; the response carries the new token.
  const loggedIn = issue(payments);
  out.push(
    ...call({
      auth: undefined,
      path: 'auth/kubernetes/login',
      operation: 'update',
      mount: mounts.k8s,
      ip: k8sNode,
      data: { jwt: hmac(), role: hmac() },
      headers: { 'user-agent': ['Go-http-client/1.1'] },
      response: { auth: loggedIn },
    }).map((e, i) => (i === 1 ? { ...e, auth: loggedIn } : e)),
  );
  // 2. KV v2 read, 3. dynamic database credentials (lease ids are not HMAC'd).
  out.push(
    ...call({
      auth: loggedIn,
      path: 'secret/data/payments/db',
      operation: 'read',
      mount: mounts.kv2,
      ip: k8sNode,
      headers: { 'user-agent': ['vault-agent/1.17.2'] },
      response: { data: { data: { password: hmac(), username: hmac() }, metadata: { created_time: hmac(), version: 4 } } },
    }),
    ...call({
      auth: loggedIn,
      path: 'database/creds/payments-ro',
      operation: 'read',
      mount: mounts.db,
      ip: k8sNode,
      response: { secret: { lease_id: leaseId }, data: { password: hmac(), username: hmac() } },
    }),
  );
  // 4. AppRole login for CI, 5. CI creates a token for the backup job.
  const ciToken = issue(ci);
  out.push(
    ...call({
      auth: undefined,
      path: 'auth/approle/login',
      operation: 'update',
      mount: mounts.approle,
      ip: ciIp,
      data: { role_id: hmac(), secret_id: hmac() },
      response: { auth: ciToken },
    }).map((e, i) => (i === 1 ? { ...e, auth: ciToken } : e)),
  );
  const backupToken = issue(backup);
  out.push(
    ...call({
      auth: ciToken,
      path: 'auth/token/create',
      operation: 'update',
      mount: mounts.token,
      ip: ciIp,
      data: { display_name: hmac(), policies: [hmac()], ttl: hmac() },
      response: { auth: backupToken },
    }),
  );
  // 6. KV v1 read by the backup token and 7. an ACL policy write by alice, interleaved; then
  // 8. alice's denied read, whose request and response both carry the error.
  const [kvReq, kvRes] = call({
    auth: backupToken,
    path: 'kv/backups/s3',
    operation: 'read',
    mount: mounts.kv1,
    ip: `10.30.${r.int(0, 9)}.${r.int(10, 250)}`,
    response: { data: { access_key: hmac(), secret_key: hmac() } },
  });
  const [policyReq, policyRes] = call({
    auth: alice,
    path: 'sys/policies/acl/payments-admin',
    operation: 'update',
    mount: mounts.sys,
    ip: adminIp,
    data: { policy: hmac() },
  });
  // The policy write's response was shipped before its request (collectors do reorder lines).
  out.push(kvReq, policyRes, kvRes, policyReq);
  out.push(
    ...call({
      auth: alice,
      path: 'secret/data/prod/root-creds',
      operation: 'read',
      mount: mounts.kv2,
      ip: adminIp,
      error: '1 error occurred:\n\t* permission denied\n\n',
    }),
  );
  // 9. A failed AppRole login from an unknown address: no token, so no identity beyond the client.
  out.push(
    ...call({
      auth: undefined,
      path: 'auth/approle/login',
      operation: 'update',
      mount: mounts.approle,
      ip: `192.0.2.${r.int(100, 250)}`,
      data: { role_id: hmac(), secret_id: hmac() },
      error: 'invalid role or secret ID',
    }),
  );
  // 10. The root token reads a KV secret; 11. a batch token (no accessor) in an Enterprise namespace.
  out.push(
    ...call({
      auth: root,
      path: 'secret/data/platform/tls',
      operation: 'read',
      mount: mounts.kv2,
      ip: adminIp,
      response: { data: { data: { key: hmac() } } },
    }),
    ...call({
      auth: batch,
      path: 'secret/data/reports/warehouse',
      operation: 'read',
      mount: mounts.kv2,
      namespace: { id: r.alnum(5), path: 'analytics/' },
      ip: `10.0.${r.int(4, 6)}.${r.int(10, 250)}`,
      response: { data: { data: { dsn: hmac() } } },
    }),
  );
  // 12. CI creates a response-wrapped token: only wrap_info (with wrapped_accessor) comes back.
  const wrapTime = new Date(clock).toISOString();
  out.push(
    ...call({
      auth: ciToken,
      path: 'auth/token/create',
      operation: 'update',
      mount: mounts.token,
      ip: ciIp,
      wrapTtl: 300,
      data: { policies: [hmac()] },
      response: {
        wrap_info: {
          token: hmac(),
          accessor: hmac(),
          ttl: 300,
          creation_time: wrapTime,
          creation_path: 'auth/token/create',
          wrapped_accessor: hmac(),
        },
      },
    }),
  );
  // 13. alice generates an AppRole secret-id for CI.
  out.push(
    ...call({
      auth: alice,
      path: 'auth/approle/role/ci-deployer/secret-id',
      operation: 'update',
      mount: mounts.approle,
      ip: adminIp,
      response: { data: { secret_id: hmac(), secret_id_accessor: hmac(), secret_id_num_uses: 0, secret_id_ttl: 600 } },
    }),
  );
  // 14. CI revokes the backup token by accessor (the body's accessor is HMAC'd like any accessor).
  out.push(
    ...call({
      auth: ciToken,
      path: 'auth/token/revoke-accessor',
      operation: 'update',
      mount: mounts.token,
      ip: ciIp,
      data: { accessor: backupToken.accessor },
    }),
  );
  // 15. alice revokes payments-api's token by the token itself, then its lease by body and by path.
  out.push(
    ...call({
      auth: alice,
      path: 'auth/token/revoke',
      operation: 'update',
      mount: mounts.token,
      ip: adminIp,
      data: { token: loggedIn.client_token },
    }),
    ...call({
      auth: alice,
      path: 'sys/leases/revoke',
      operation: 'update',
      mount: mounts.sys,
      ip: adminIp,
      data: { lease_id: hmac() },
    }),
    ...call({
      auth: alice,
      path: `sys/leases/revoke/${leaseId}`,
      operation: 'update',
      mount: mounts.sys,
      ip: adminIp,
    }),
  );
  // 16. CI revokes its own token.
  out.push(...call({ auth: ciToken, path: 'auth/token/revoke-self', operation: 'update', mount: mounts.token, ip: ciIp }));
  // 17. A response whose request line is not in this log (rotated away before it).
  out.push(
    call({
      auth: backupToken,
      path: 'kv/backups/gcs',
      operation: 'read',
      mount: mounts.kv1,
      ip: `10.30.${r.int(0, 9)}.${r.int(10, 250)}`,
      response: { data: { credentials: hmac() } },
    })[1],
  );
  // 18. A request whose response never came (Vault stopped mid-call): flush() emits it.
  out.push(
    call({
      auth: loggedIn,
      path: 'secret/data/payments/stripe',
      operation: 'read',
      mount: mounts.kv2,
      ip: k8sNode,
    })[0],
  );
  // 19. Not audit entries, or broken ones: no type and no request; no time; no request id.
  out.push({ time: tick(), level: 'info', msg: 'core: vault is unsealed' });
  const [noTime] = call({ auth: alice, path: 'sys/mounts', operation: 'read', mount: mounts.sys, ip: adminIp });
  delete noTime.time;
  out.push(noTime);
  const [noId] = call({ auth: alice, path: 'sys/health', operation: 'read', mount: mounts.sys, ip: adminIp });
  delete (noId.request as Rec).id;
  out.push(noId);
  // As read from the file: no object shared between records (a consumer may mutate them).
  return JSON.parse(JSON.stringify(out)) as unknown[];
}
