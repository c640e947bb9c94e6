import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';

/*
 * Local stand-ins for the providers Warden's response actions call, answering as each provider's
 * documentation says (Vault HTTP API, the IAM Query API's XML, GitHub REST, the Kubernetes API), on
 * 127.0.0.1 with port 0. A fault script makes the first requests misbehave: 429 with Retry-After, a
 * 5xx, a dropped connection, or no answer at all.
 */

export type Fault = '429' | '500' | '503' | 'reset' | 'hang';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeProvider {
  url: string;
  requests: Recorded[];
  /** Faults for the next requests that `faultable` accepts, in order. */
  faults: Fault[];
  close(): Promise<void>;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

export async function fakeProvider(handler: Handler, faultable: (r: Recorded) => boolean = () => true): Promise<FakeProvider> {
  const requests: Recorded[] = [];
  const faults: Fault[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: Recorded = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(rec);
    const fault = faultable(rec) ? faults.shift() : undefined;
    if (fault === 'reset') return req.socket.destroy();
    if (fault === 'hang') return;
    if (fault === '429') return json(res, 429, { errors: ['rate limited'], message: 'rate limited' }, { 'retry-after': '1' });
    if (fault === '500' || fault === '503')
      return json(res, Number(fault), { errors: ['internal error'], message: 'internal error' });
    handler(rec, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

/** Vault: token accessors, leases and entities it knows; answers as the Vault HTTP API does. */
export function fakeVault(state: {
  accessors: Set<string>;
  leases: Set<string>;
  entities: Map<string, { name: string; disabled: boolean }>;
  token: string;
  /** Refuse reads of entities (405), as a server that serves only the update would. */
  noRead?: boolean;
}) {
  return fakeProvider(
    (r, res) => {
      if (r.headers['x-vault-token'] !== state.token) return json(res, 403, { errors: ['permission denied'] });
      const body = r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {};
      if (r.method === 'POST' && r.path === '/v1/auth/token/revoke-accessor') {
        if (!state.accessors.delete(String(body.accessor))) return json(res, 400, { errors: ['invalid accessor'] });
        return json(res, 204, undefined);
      }
      if (r.method === 'PUT' && r.path === '/v1/sys/leases/revoke') {
        if (!state.leases.delete(String(body.lease_id))) return json(res, 400, { errors: ['invalid lease ID'] });
        return json(res, 204, undefined);
      }
      const m = /^\/v1\/identity\/entity\/id\/([^/]+)$/.exec(r.path);
      if (m) {
        const e = state.entities.get(decodeURIComponent(m[1]!));
        if (!e) return json(res, 404, { errors: [] });
        if (r.method === 'GET' && state.noRead) return json(res, 405, { errors: [] });
        if (r.method === 'GET')
          return json(res, 200, { data: { id: m[1], name: e.name, disabled: e.disabled, policies: ['default'] } });
        if (r.method === 'POST' || r.method === 'PUT') {
          if (typeof body.disabled === 'boolean') e.disabled = body.disabled;
          return json(res, 204, undefined);
        }
      }
      json(res, 404, { errors: [] });
    },
    (r) => r.method !== 'GET',
  );
}

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

function iamError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>9c2f5b1e-0000-4000-8000-000000000001</RequestId></ErrorResponse>`,
  );
}

/** IAM Query API: access keys per user (status) and attached user policies; XML answers as documented. */
export function fakeIam(state: {
  keys: Map<string, { user: string; status: 'Active' | 'Inactive' }>;
  attached: Map<string, Set<string>>;
}) {
  return fakeProvider((r, res) => {
    const p = new URLSearchParams(r.body);
    const action = p.get('Action');
    if (!String(r.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
      return iamError(res, 403, 'InvalidClientTokenId', 'unsigned');
    const ok = (name: string) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<${name}Response xmlns="${IAM_NS}"><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></${name}Response>`,
      );
    };
    const key = state.keys.get(p.get('AccessKeyId') ?? '');
    if (action === 'UpdateAccessKey') {
      if (!key || key.user !== p.get('UserName'))
        return iamError(res, 404, 'NoSuchEntity', `The Access Key with id ${p.get('AccessKeyId')} cannot be found.`);
      key.status = p.get('Status') as 'Active' | 'Inactive';
      return ok('UpdateAccessKey');
    }
    if (action === 'DeleteAccessKey') {
      if (!key || key.user !== p.get('UserName'))
        return iamError(res, 404, 'NoSuchEntity', `The Access Key with id ${p.get('AccessKeyId')} cannot be found.`);
      state.keys.delete(p.get('AccessKeyId')!);
      return ok('DeleteAccessKey');
    }
    if (action === 'DetachUserPolicy') {
      const set = state.attached.get(p.get('UserName') ?? '');
      if (!set?.delete(p.get('PolicyArn') ?? ''))
        return iamError(res, 404, 'NoSuchEntity', `Policy ${p.get('PolicyArn')} was not found.`);
      return ok('DetachUserPolicy');
    }
    iamError(res, 400, 'InvalidAction', `Could not find operation ${action}`);
  });
}

/** GitHub REST: POST /credentials/revoke (202 Accepted), 422 for an empty or too long list. */
export function fakeGitHub(revoked: string[]) {
  return fakeProvider((r, res) => {
    if (r.method === 'POST' && r.path === '/credentials/revoke') {
      const body = JSON.parse(r.body || '{}') as { credentials?: unknown };
      if (!Array.isArray(body.credentials) || body.credentials.length === 0 || body.credentials.length > 1000)
        return json(res, 422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest' });
      revoked.push(...body.credentials.map(String));
      return json(res, 202, {});
    }
    json(res, 404, { message: 'Not Found' });
  });
}

/** The Kubernetes API for one namespace: token Secrets, Deployments (with scale) and NetworkPolicies. */
export function fakeKube(state: {
  secrets: Map<string, { sa: string }>;
  deployments: Map<string, { replicas: number; labels: Record<string, string> }>;
  policies: Map<string, unknown>;
  namespace: string;
  /** Serve no scale subresource (404), as some API proxies do. */
  noScale?: boolean;
}) {
  const ns = state.namespace;
  const status = (res: ServerResponse, code: number, reason: string, message: string) =>
    json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  return fakeProvider(
    (r, res) => {
      if (r.headers.authorization !== 'Bearer kube-test-token') return status(res, 401, 'Unauthorized', 'Unauthorized');
      if (r.method === 'GET' && r.path === `/api/v1/namespaces/${ns}/secrets`) {
        const type = r.query.get('fieldSelector') === 'type=kubernetes.io/service-account-token';
        return json(res, 200, {
          kind: 'SecretList',
          apiVersion: 'v1',
          metadata: {},
          items: [...state.secrets].map(([name, s]) => ({
            metadata: { name, namespace: ns, annotations: { 'kubernetes.io/service-account.name': s.sa } },
            type: type ? 'kubernetes.io/service-account-token' : 'Opaque',
          })),
        });
      }
      let m = new RegExp(`^/api/v1/namespaces/${ns}/secrets/([^/]+)$`).exec(r.path);
      if (m && r.method === 'DELETE') {
        if (!state.secrets.delete(m[1]!)) return status(res, 404, 'NotFound', `secrets "${m[1]}" not found`);
        return json(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name: m[1], kind: 'secrets' },
        });
      }
      m = new RegExp(`^/apis/apps/v1/namespaces/${ns}/deployments/([^/]+)(/scale)?$`).exec(r.path);
      if (m) {
        const d = state.deployments.get(m[1]!);
        if (!d) return status(res, 404, 'NotFound', `deployments.apps "${m[1]}" not found`);
        if (m[2] && state.noScale) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
        if (!m[2] && r.method === 'PATCH') {
          if (r.headers['content-type'] !== 'application/merge-patch+json')
            return status(res, 415, 'UnsupportedMediaType', 'unknown format');
          d.replicas = (JSON.parse(r.body) as { spec: { replicas: number } }).spec.replicas;
        }
        if (m[2]) {
          if (r.method === 'PATCH' && r.headers['content-type'] !== 'application/merge-patch+json')
            return status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format`);
          if (r.method === 'PUT' || r.method === 'PATCH')
            d.replicas = (JSON.parse(r.body) as { spec: { replicas: number } }).spec.replicas;
          return json(res, 200, {
            kind: 'Scale',
            apiVersion: 'autoscaling/v1',
            metadata: { name: m[1], namespace: ns },
            spec: { replicas: d.replicas },
            status: { replicas: d.replicas },
          });
        }
        return json(res, 200, {
          kind: 'Deployment',
          apiVersion: 'apps/v1',
          metadata: { name: m[1], namespace: ns },
          spec: {
            replicas: d.replicas,
            selector: { matchLabels: d.labels },
            template: { metadata: { labels: d.labels }, spec: { containers: [{ name: 'app', image: 'app:1' }] } },
          },
        });
      }
      if (r.method === 'POST' && r.path === `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`) {
        const body = JSON.parse(r.body) as { metadata: { name: string } };
        if (state.policies.has(body.metadata.name))
          return status(res, 409, 'AlreadyExists', `networkpolicies.networking.k8s.io "${body.metadata.name}" already exists`);
        state.policies.set(body.metadata.name, body);
        return json(res, 201, body);
      }
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
    },
    (r) => r.method !== 'GET',
  );
}

/** A kubeconfig for a fake API server, written into `dir`. */
export function writeKubeconfig(dir: string, server: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: ${server}
users:
  - name: warden
    user:
      token: kube-test-token
contexts:
  - name: local
    context: { cluster: local, user: warden, namespace: prod }
current-context: local
`,
  );
  return file;
}

/** A Slack-compatible incoming webhook: answers 200 "ok" and keeps the payloads. */
export function fakeWebhook(received: unknown[]) {
  return fakeProvider((r, res) => {
    received.push(JSON.parse(r.body));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
}
