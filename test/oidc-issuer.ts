import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A local OpenID Connect issuer for tests and benchmarks, on 127.0.0.1: serves
 * `/.well-known/openid-configuration` and `/jwks.json` with keys of its own, signs workload tokens the
 * way GitHub Actions, Kubernetes or SPIRE would, and can rotate its keys. It counts what it served, so
 * tests can see the verifier cache.
 */
export interface LocalIssuer {
  readonly url: string;
  /** Requests served per path. */
  readonly hits: Map<string, number>;
  /** A token for `sub` (and `aud`, default 'warden'), signed with the current key; `claims` override any claim. */
  token(sub: string, options?: TokenOptions): Promise<string>;
  /** A new current key; the old one stays in the JWKS unless `drop`. */
  rotate(drop?: boolean): Promise<string>;
  /** The current key's public JWK (for forging tests). */
  publicJwk(): JWK;
  close(): Promise<void>;
}

export interface TokenOptions {
  aud?: string | string[];
  /** Seconds from now. */
  expiresIn?: number;
  /** Seconds from now (negative: in the past). */
  notBefore?: number;
  claims?: JWTPayload;
  /** Sign with a key the JWKS never publishes, under this kid. */
  unpublishedKid?: string;
  /** Sign with a key not in the JWKS but under the current key's kid (a wrong signature). */
  wrongKey?: boolean;
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/**
 * Starts a local issuer.
 * @example const iss = await startLocalIssuer(); const t = await iss.token('repo:acme/api:environment:prod');
 */
export async function startLocalIssuer(): Promise<LocalIssuer> {
  let n = 0;
  let keys: Key[] = [await newKey(`k${n++}`)];
  const hits = new Map<string, number>();
  let url = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration')
      send({ issuer: url, jwks_uri: `${url}/jwks.json`, id_token_signing_alg_values_supported: ['ES256'] });
    else if (path === '/jwks.json') send({ keys: keys.map((k) => k.jwk) });
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    hits,
    async token(sub, o = {}) {
      const now = Math.floor(Date.now() / 1000);
      let key = keys[keys.length - 1]!;
      if (o.unpublishedKid !== undefined) key = await newKey(o.unpublishedKid);
      else if (o.wrongKey === true) key = { ...(await newKey(key.kid)), kid: key.kid };
      const jwt = new SignJWT({ ...o.claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
        .setIssuer(url)
        .setSubject(sub)
        .setAudience(o.aud ?? 'warden')
        .setIssuedAt(now)
        .setExpirationTime(now + (o.expiresIn ?? 300));
      if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
      if (o.claims?.iss !== undefined) jwt.setIssuer(String(o.claims.iss));
      return jwt.sign(key.privateKey);
    },
    async rotate(drop = false) {
      const k = await newKey(`k${n++}`);
      keys = drop ? [k] : [...keys, k];
      return k.kid;
    },
    publicJwk: () => keys[keys.length - 1]!.jwk,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
