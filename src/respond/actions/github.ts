import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fingerprint, githubHashedToken, redact } from '../../scan/secrets/redact.js';
import { requestJson } from '../http.js';
import type { Action, ActionRuntime, Incident, Subject } from '../types.js';
import { base, call, missing, opt } from './common.js';

/*
 * GitHub's credential revocation API (REST "Revoke a list of credentials", POST /credentials/revoke,
 * 202 Accepted): it takes the tokens themselves, so Warden re-reads the leaked token from where the
 * scan found it (the graph's finding: path and line, in a local checkout) and sends it once, never
 * storing it; the plan and the audit trail show its preview and SHA-256 fingerprint only.
 */

/** GitHub token formats (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/). */
const TOKEN = /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g;

function apiUrl(env: ActionRuntime['env']): string {
  return base(env.GITHUB_API_URL ?? 'https://api.github.com');
}

/** The join keys a token can match: its SHA-256 fingerprint, and GitHub's `hashed_token`. */
function keysOf(token: string): string[] {
  return [`sha256:${fingerprint(token)}`, `github:${githubHashedToken(token)}`, githubHashedToken(token)];
}

function findTokens(incident: Incident, options: Record<string, unknown>, cwd: string): Subject[] {
  const wanted = new Set<string>();
  if (incident.credentialNode) wanted.add(incident.credentialNode.slice('credential:'.length));
  for (const k of incident.credentialKeys ?? []) wanted.add(k);
  if (incident.alert.credential) wanted.add(incident.alert.credential.key);
  const checkout = opt(options, 'checkout');
  const roots = [...new Set([...(checkout ? [isAbsolute(checkout) ? checkout : resolve(cwd, checkout)] : []), cwd])];
  const out = new Map<string, Subject>();
  for (const leak of incident.leaks) {
    for (const root of roots) {
      let text: string;
      try {
        text = readFileSync(join(root, leak.path), 'utf8');
      } catch {
        continue;
      }
      const line = text.split('\n')[leak.line - 1] ?? '';
      for (const m of line.matchAll(TOKEN)) {
        const token = m[0];
        if (!keysOf(token).some((k) => wanted.has(k))) continue;
        const fp = fingerprint(token);
        out.set(fp, {
          key: `token ${redact(token)} (sha256 ${fp.slice(0, 16)}…) from ${leak.repository}:${leak.path}:${leak.line}`,
          fields: { fingerprint: fp, location: `${leak.path}:${leak.line}` },
          secret: { value: token, preview: redact(token), fingerprint: fp },
          ...(incident.alert.credential ? { revokes: incident.alert.credential.key } : {}),
        });
      }
    }
  }
  return [...out.values()];
}

/** Revokes leaked GitHub tokens; GitHub notifies their owners. No undo: a revoked token is gone. */
export const githubRevokeCredential: Action = {
  name: 'github.revoke-credential',
  describe: 'revoke leaked GitHub tokens (POST /credentials/revoke)',
  async subjects(incident, options, rt) {
    if (incident.leaks.length === 0)
      return missing(
        'GitHub revokes a token only given the token itself, and the graph records no leak location of this credential to read it from',
      );
    const found = findTokens(incident, options, rt.cwd);
    if (found.length === 0)
      return missing(
        `no GitHub token matching the credential at ${incident.leaks.map((l) => `${l.repository}:${l.path}:${l.line}`).join(', ')} (run from the checkout, or give with.checkout)`,
      );
    return found;
  },
  calls: (s, _o, env) => [
    {
      method: 'POST',
      url: `${apiUrl(env)}/credentials/revoke`,
      body: { credentials: [`<${s.secret?.preview ?? 'token'} sha256:${s.fields.fingerprint}>`] },
    },
  ],
  async run(s, _o, rt) {
    const token = s.secret?.value;
    if (token === undefined) throw new Error('the token to revoke was not read');
    const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    if (rt.env.GITHUB_TOKEN) headers.authorization = `Bearer ${rt.env.GITHUB_TOKEN}`;
    const r = await call(rt, (signal) =>
      requestJson(`${apiUrl(rt.env)}/credentials/revoke`, { method: 'POST', headers, body: { credentials: [token] } }, signal),
    );
    return { outcome: 'done', answer: { status: r.status, fingerprint: s.fields.fingerprint } };
  },
};
