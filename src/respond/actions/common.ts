import { withRetry } from '../http.js';
import type { ActionRuntime, Incident, Missing } from '../types.js';

/** A string option of a step's `with`, or undefined. */
export function opt(options: Record<string, unknown>, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function missing(why: string): Missing {
  return { missing: why };
}

/** Every credential the alert names: its own, and those its evidences issued, used or revoked. */
export function alertCredentials(incident: Incident): Array<{ key: string; type: string }> {
  const out = new Map<string, string>();
  const a = incident.alert;
  if (a.credential) out.set(a.credential.key, a.credential.type);
  for (const e of a.evidences) {
    const c = e.credential;
    if (c === undefined) continue;
    if (!out.has(c.key)) out.set(c.key, c.type);
    if (c.subject !== undefined && !out.has(c.subject)) out.set(c.subject, c.type);
  }
  return [...out].map(([key, type]) => ({ key, type }));
}

/** Every identity id the alert and the graph tie to it: the alert's, who the credential belongs to, who it acted via. */
export function alertIdentities(incident: Incident): string[] {
  const a = incident.alert;
  const ids = [a.identity.id, ...incident.credentialOf];
  for (const e of a.evidences) if (e.identity.via !== undefined) ids.push(e.identity.via);
  return [...new Set(ids)];
}

/** Runs one provider exchange under the step's limits (timeout, retries with back-off). */
export function call<T>(runtime: ActionRuntime, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withRetry((signal) => attempt(signal), runtime.limits, runtime.onRetry);
}

/** The base URL of an endpoint variable without a trailing slash. */
export function base(url: string): string {
  return url.replace(/\/+$/, '');
}
