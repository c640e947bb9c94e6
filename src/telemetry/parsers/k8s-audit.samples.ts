/**
 * Synthetic Kubernetes audit records (`audit.k8s.io/v1` Event as the log backend writes them, one
 * object per line; https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/). Field names
 * and nesting are exact; ids are random UUIDs, addresses from 10.0.0.0/8 and 192.0.2.0/24, and no
 * record carries a token. The same seed gives the same records.
 *
 * Covered: a pod's service account reading a Secret (RequestReceived + ResponseComplete), the same
 * account denied a list in another namespace (403), the kubelet's TokenRequest for it (with the
 * issued-credential-id annotation), a TokenRequest at RequestResponse level with its expiry, a user
 * granting a ClusterRoleBinding through a proxy (two sourceIPs), a controller patching a Role, a
 * watch (three stages), an apiserver panic, a 401 with an empty user, anonymous access to a
 * non-resource URL, impersonation, a legacy token Secret, pods/exec, the kubelet reading a Secret, an
 * EventList, and records to reject (no time, not audit, unknown stage).
 */
import { sampleRandom } from './vault.samples.js';

type Rec = Record<string, unknown>;

const RBAC = 'rbac.authorization.k8s.io';

/**
 * A realistic mixed Kubernetes audit log as parsed JSON records (one per line), seeded.
 *
 * @example
 * const lines = sampleRecords().map((r) => JSON.stringify(r));
 */
export function sampleRecords(seed = 1): unknown[] {
  const r = sampleRandom(seed + 0x6b38);
  let clock = Date.UTC(2025, 5, 5, 16, 10, 0) + r.int(0, 3_600_000);
  /** Microsecond RFC 3339, as the apiserver writes metav1.MicroTime. */
  const micro = (ms: number): string => new Date(ms).toISOString().slice(0, 23) + String(r.int(0, 999)).padStart(3, '0') + 'Z';

  const nodeName = `ip-10-0-${r.int(1, 3)}-${r.int(10, 250)}.ec2.internal`;
  const nodeIp = nodeName.slice(3, nodeName.indexOf('.')).replaceAll('-', '.');
  const podIp = `10.244.${r.int(1, 9)}.${r.int(2, 250)}`;
  const jti = `JTI=${r.uuid()}`;
  const pod = `payments-api-${r.hex(10)}-${r.alnum(5).toLowerCase()}`;
  const sa = (ns: string, name: string, extra: Rec | undefined): Rec => {
    const u: Rec = {
      username: `system:serviceaccount:${ns}:${name}`,
      uid: r.uuid(),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    };
    if (extra !== undefined) u.extra = extra;
    return u;
  };
  const boundExtra = (podName: string, credentialId: string): Rec => ({
    'authentication.kubernetes.io/credential-id': [credentialId],
    'authentication.kubernetes.io/node-name': [nodeName],
    'authentication.kubernetes.io/node-uid': [r.uuid()],
    'authentication.kubernetes.io/pod-name': [podName],
    'authentication.kubernetes.io/pod-uid': [r.uuid()],
  });
  const paymentsSa = sa('payments', 'payments-api', boundExtra(pod, jti));
  const kubelet = { username: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] };
  const alice = {
    username: 'alice@example.com',
    groups: ['platform-admins', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${r.uuid()}`] },
  };
  const allow = (why: string): Rec => ({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': why });

  interface Req {
    verb: string;
    uri: string;
    user: Rec;
    ips: string[];
    ua: string;
    ref?: Rec;
    code?: number;
    status?: Rec;
    annotations?: Rec;
    level?: string;
    impersonatedUser?: Rec;
    requestObject?: Rec;
    responseObject?: Rec;
    stages?: string[];
  }
  /** The entries one request produces, one per stage (ResponseComplete only unless told). */
  const request = (q: Req): Rec[] => {
    clock += r.int(5, 900);
    const received = clock;
    const auditID = r.uuid();
    return (q.stages ?? ['ResponseComplete']).map((stage, i) => {
      const e: Rec = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: q.level ?? 'Metadata',
        auditID,
        stage,
        requestURI: q.uri,
        verb: q.verb,
        user: q.user,
      };
      if (q.impersonatedUser !== undefined) e.impersonatedUser = q.impersonatedUser;
      e.sourceIPs = q.ips;
      e.userAgent = q.ua;
      if (q.ref !== undefined) e.objectRef = q.ref;
      if (stage !== 'RequestReceived') {
        e.responseStatus = q.status ?? { metadata: {}, code: q.code ?? 200 };
        if (q.requestObject !== undefined) e.requestObject = q.requestObject;
        if (q.responseObject !== undefined) e.responseObject = q.responseObject;
      }
      e.requestReceivedTimestamp = micro(received);
      e.stageTimestamp = micro(received + i * r.int(1, 30) + (stage === 'RequestReceived' ? 0 : r.int(1, 20)));
      if (stage !== 'RequestReceived' && q.annotations !== undefined) e.annotations = q.annotations;
      return e;
    });
  };

  const out: Rec[] = [];
  // 1. The payments pod reads its database Secret: RequestReceived then ResponseComplete.
  out.push(
    ...request({
      verb: 'get',
      uri: '/api/v1/namespaces/payments/secrets/db-credentials',
      user: paymentsSa,
      ips: [podIp],
      ua: 'payments-api/2.14.0 (linux/amd64) kubernetes/v1.30.2',
      ref: { resource: 'secrets', namespace: 'payments', name: 'db-credentials', apiVersion: 'v1' },
      annotations: allow(
        'RBAC: allowed by RoleBinding "secret-reader/payments" of Role "secret-reader" to ServiceAccount "payments-api/payments"',
      ),
      stages: ['RequestReceived', 'ResponseComplete'],
    }),
  );
  // 2. The same token lists Secrets in kube-system: forbidden.
  out.push(
    ...request({
      verb: 'list',
      uri: '/api/v1/namespaces/kube-system/secrets?limit=500',
      user: paymentsSa,
      ips: [podIp],
      ua: 'kubectl/v1.30.2 (linux/amd64) kubernetes/39683505',
      ref: { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' },
      status: {
        metadata: {},
        status: 'Failure',
        message:
          'secrets is forbidden: User "system:serviceaccount:payments:payments-api" cannot list resource "secrets" in API group "" in the namespace "kube-system"',
        reason: 'Forbidden',
        details: { kind: 'secrets' },
        code: 403,
      },
      annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
    }),
  );
  // 3. The kubelet requests the pod's projected token (TokenRequest); Kubernetes ≥ 1.30 annotates its JTI.
  out.push(
    ...request({
      verb: 'create',
      uri: '/api/v1/namespaces/payments/serviceaccounts/payments-api/token',
      user: kubelet,
      ips: [nodeIp],
      ua: 'kubelet/v1.30.2 (linux/amd64) kubernetes/39683505',
      ref: { resource: 'serviceaccounts', namespace: 'payments', name: 'payments-api', apiVersion: 'v1', subresource: 'token' },
      code: 201,
      annotations: {
        'authentication.kubernetes.io/issued-credential-id': jti,
        'authorization.k8s.io/decision': 'allow',
        'authorization.k8s.io/reason': '',
      },
    }),
  );
  // 4. A CI service account mints a token for a deploy account at RequestResponse level (token field omitted here).
  const ciSa = sa('ci', 'pipeline-runner', boundExtra(`pipeline-runner-${r.alnum(5).toLowerCase()}`, `JTI=${r.uuid()}`));
  const issuedAt = clock + 1000;
  out.push(
    ...request({
      verb: 'create',
      uri: '/api/v1/namespaces/deploy/serviceaccounts/deployer/token',
      user: ciSa,
      ips: [`10.244.${r.int(1, 9)}.${r.int(2, 250)}`],
      ua: 'kubectl/v1.30.2 (linux/amd64) kubernetes/39683505',
      level: 'RequestResponse',
      ref: { resource: 'serviceaccounts', namespace: 'deploy', name: 'deployer', apiVersion: 'v1', subresource: 'token' },
      code: 201,
      requestObject: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 600, boundObjectRef: null },
        status: { token: '', expirationTimestamp: null },
      },
      responseObject: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {
          name: 'deployer',
          namespace: 'deploy',
          creationTimestamp: new Date(issuedAt).toISOString().slice(0, 19) + 'Z',
        },
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 600, boundObjectRef: null },
        status: { expirationTimestamp: new Date(issuedAt + 600_000).toISOString().slice(0, 19) + 'Z' },
      },
      annotations: { 'authentication.kubernetes.io/issued-credential-id': `JTI=${r.uuid()}`, ...allow('') },
    }),
  );
  // 5. alice, behind an authenticating proxy, binds a group to cluster-admin. Only the last IP is trustworthy.
  out.push(
    ...request({
      verb: 'create',
      uri: `/apis/${RBAC}/v1/clusterrolebindings?fieldManager=kubectl-create&fieldValidation=Strict`,
      user: alice,
      ips: [`192.0.2.${r.int(10, 250)}`, `10.0.${r.int(10, 20)}.${r.int(2, 250)}`],
      ua: 'kubectl/v1.30.2 (darwin/arm64) kubernetes/39683505',
      ref: { resource: 'clusterrolebindings', name: 'payments-oncall-admin', apiGroup: RBAC, apiVersion: 'v1' },
      code: 201,
      annotations: allow(
        'RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins"',
      ),
    }),
  );
  // 6. Argo CD's controller patches a Role.
  out.push(
    ...request({
      verb: 'patch',
      uri: `/apis/${RBAC}/v1/namespaces/payments/roles/app-deployer?fieldManager=argocd-controller`,
      user: sa('argocd', 'argocd-application-controller', boundExtra(`argocd-application-controller-0`, `JTI=${r.uuid()}`)),
      ips: [`10.244.${r.int(1, 9)}.${r.int(2, 250)}`],
      ua: 'argocd-application-controller/v2.11.3 (linux/amd64) kubernetes/v0.29.6',
      ref: { resource: 'roles', namespace: 'payments', name: 'app-deployer', apiGroup: RBAC, apiVersion: 'v1' },
      annotations: allow(''),
    }),
  );
  // 7. external-secrets watches Secrets cluster-wide: three stages, one request.
  out.push(
    ...request({
      verb: 'watch',
      uri: '/api/v1/secrets?allowWatchBookmarks=true&resourceVersion=918273&timeout=9m21s&watch=true',
      user: sa(
        'external-secrets',
        'external-secrets',
        boundExtra(`external-secrets-${r.hex(10)}-${r.alnum(5).toLowerCase()}`, `JTI=${r.uuid()}`),
      ),
      ips: [`10.244.${r.int(1, 9)}.${r.int(2, 250)}`],
      ua: 'external-secrets/v0.9.20 (linux/amd64) kubernetes/$Format',
      ref: { resource: 'secrets', apiVersion: 'v1' },
      annotations: allow('RBAC: allowed by ClusterRoleBinding "external-secrets-controller"'),
      stages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
    }),
  );
  // 8. An apiserver panic while serving a ConfigMap get.
  out.push(
    ...request({
      verb: 'get',
      uri: '/api/v1/namespaces/payments/configmaps/feature-flags',
      user: paymentsSa,
      ips: [podIp],
      ua: 'payments-api/2.14.0 (linux/amd64) kubernetes/v1.30.2',
      ref: { resource: 'configmaps', namespace: 'payments', name: 'feature-flags', apiVersion: 'v1' },
      status: {
        metadata: {},
        status: 'Failure',
        message: "APIServer panic'd: runtime error: invalid memory address",
        reason: 'InternalError',
        code: 500,
      },
      stages: ['RequestReceived', 'Panic'],
    }),
  );
  // 9. A stale token: authentication fails, the user is empty.
  out.push(
    ...request({
      verb: 'list',
      uri: '/api/v1/namespaces/payments/secrets',
      user: {},
      ips: [`192.0.2.${r.int(10, 250)}`],
      ua: 'python-requests/2.32.3',
      ref: { resource: 'secrets', namespace: 'payments', apiVersion: 'v1' },
      status: { metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
    }),
  );
  // 10. Anonymous access to a non-resource URL.
  out.push(
    ...request({
      verb: 'get',
      uri: '/version',
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      ips: [`192.0.2.${r.int(10, 250)}`],
      ua: 'Go-http-client/1.1',
      annotations: allow(
        'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"',
      ),
    }),
  );
  // 11. alice impersonates the payments service account to read its Secret.
  out.push(
    ...request({
      verb: 'get',
      uri: '/api/v1/namespaces/payments/secrets/db-credentials',
      user: alice,
      impersonatedUser: {
        username: 'system:serviceaccount:payments:payments-api',
        groups: ['system:serviceaccounts', 'system:authenticated'],
      },
      ips: [`10.0.${r.int(10, 20)}.${r.int(2, 250)}`],
      ua: 'kubectl/v1.30.2 (darwin/arm64) kubernetes/39683505',
      ref: { resource: 'secrets', namespace: 'payments', name: 'db-credentials', apiVersion: 'v1' },
      annotations: allow(
        'RBAC: allowed by ClusterRoleBinding "platform-admins" of ClusterRole "cluster-admin" to Group "platform-admins"',
      ),
    }),
  );
  // 12. alice creates a legacy long-lived token Secret (logged at Request level: the body, which has no data yet).
  out.push(
    ...request({
      verb: 'create',
      uri: '/api/v1/namespaces/payments/secrets?fieldManager=kubectl-client-side-apply',
      user: alice,
      ips: [`10.0.${r.int(10, 20)}.${r.int(2, 250)}`],
      ua: 'kubectl/v1.30.2 (darwin/arm64) kubernetes/39683505',
      level: 'Request',
      ref: { resource: 'secrets', namespace: 'payments', name: 'payments-api-long-lived', apiVersion: 'v1' },
      code: 201,
      requestObject: {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: {
          name: 'payments-api-long-lived',
          namespace: 'payments',
          annotations: { 'kubernetes.io/service-account.name': 'payments-api' },
        },
        type: 'kubernetes.io/service-account-token',
      },
      annotations: allow(''),
    }),
  );
  // 13. alice execs into the pod; 14. the kubelet reads a Secret to mount it.
  out.push(
    ...request({
      verb: 'create',
      uri: `/api/v1/namespaces/payments/pods/${pod}/exec?command=sh&container=app&stdin=true&stdout=true&tty=true`,
      user: alice,
      ips: [`10.0.${r.int(10, 20)}.${r.int(2, 250)}`],
      ua: 'kubectl/v1.30.2 (darwin/arm64) kubernetes/39683505',
      ref: { resource: 'pods', namespace: 'payments', name: pod, apiVersion: 'v1', subresource: 'exec' },
      code: 101,
      annotations: allow(''),
    }),
    ...request({
      verb: 'get',
      uri: '/api/v1/namespaces/payments/secrets/tls-cert',
      user: kubelet,
      ips: [nodeIp],
      ua: 'kubelet/v1.30.2 (linux/amd64) kubernetes/39683505',
      ref: { resource: 'secrets', namespace: 'payments', name: 'tls-cert', apiVersion: 'v1' },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    }),
  );
  // 15. An EventList (as a webhook backend batches them): two ConfigMap reads by a monitoring agent.
  const monitoring = sa(
    'monitoring',
    'kube-state-metrics',
    boundExtra(`kube-state-metrics-${r.hex(10)}-${r.alnum(5).toLowerCase()}`, `JTI=${r.uuid()}`),
  );
  const listItems = [
    ...request({
      verb: 'list',
      uri: '/api/v1/configmaps?limit=500',
      user: monitoring,
      ips: [`10.244.${r.int(1, 9)}.7`],
      ua: 'kube-state-metrics/v2.13.0',
      ref: { resource: 'configmaps', apiVersion: 'v1' },
    }),
    ...request({
      verb: 'get',
      uri: '/metrics',
      user: monitoring,
      ips: [`10.244.${r.int(1, 9)}.7`],
      ua: 'kube-state-metrics/v2.13.0',
    }),
  ];
  out.push({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: listItems });
  // 16. To reject: no timestamps; not an audit record; a stage no version of the API has.
  const [noTime] = request({
    verb: 'get',
    uri: '/api/v1/namespaces',
    user: alice,
    ips: ['10.0.0.9'],
    ua: 'kubectl/v1.30.2',
    ref: { resource: 'namespaces', apiVersion: 'v1' },
  });
  delete noTime!.requestReceivedTimestamp;
  delete noTime!.stageTimestamp;
  out.push(noTime!);
  out.push({ kind: 'Pod', apiVersion: 'v1', metadata: { name: pod, namespace: 'payments' } });
  const [oddStage] = request({
    verb: 'get',
    uri: '/api/v1/nodes',
    user: kubelet,
    ips: [nodeIp],
    ua: 'kubelet/v1.30.2',
    ref: { resource: 'nodes', apiVersion: 'v1' },
  });
  oddStage!.stage = 'RequestAborted';
  out.push(oddStage!);
  return JSON.parse(JSON.stringify(out)) as unknown[];
}
