import type { IdentityEvent } from '../model/identity-event.js';
import { isoMs } from '../model/time.js';
import { actionAllowed, globMatch, inAnyNetwork, inAnyWindow, resourceAllowed } from './match.js';
import { resolveEvent } from './resolve.js';
import type { Manifest, ManifestIdentity, SourceRef } from './schema.js';

/** Which declared expectation an event broke. */
export const VIOLATION_KINDS = [
  'action',
  'resource',
  'network',
  'region',
  'window',
  'environment',
  'agent-tool',
  'agent-destination',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** One broken expectation, with the manifest lines that declare it. */
export interface PolicyViolation {
  kind: ViolationKind;
  /** The declared identity. */
  identity: ManifestIdentity;
  /** `NAME/allow`, `NAME/sources`, `NAME/windows`, `NAME/environments`, `NAME/agent`. */
  policy: string;
  /** One sentence; built from event fields, so render it through termSafe in a terminal. */
  message: string;
  observed: string[];
  expected: string[];
  /** Where the broken expectation is declared. */
  at: SourceRef;
}

/**
 * The action and resource of an event as the manifest writes them: GitHub and Okta actions get their
 * `github:`/`okta:` prefix, Kubernetes resources become `namespace/resource/name`.
 * @example policyView(k8sEvent) // { action: 'k8s:get', resource: 'prod/secrets/db' }
 */
export function policyView(e: IdentityEvent): { action: string; resource?: string | undefined } {
  let action = e.action;
  if (e.source === 'github-audit' && !action.startsWith('github:')) action = `github:${action}`;
  else if (e.source === 'okta' && !action.startsWith('okta:')) action = `okta:${action}`;
  let resource = e.resource?.id;
  if (e.source === 'k8s-audit' && e.resource?.type && resource !== undefined && e.resource.type !== 'non-resource-url') {
    const slash = resource.indexOf('/');
    resource =
      slash >= 0
        ? `${resource.slice(0, slash)}/${e.resource.type}/${resource.slice(slash + 1)}`
        : `${e.resource.type}/${resource}`;
  }
  return { action, resource };
}

function hostOf(destination: string): string {
  try {
    if (destination.includes('://')) return new URL(destination).hostname;
  } catch {
    // not a URL: compare it as written
  }
  return destination.replace(/:\d+$/, '');
}

/** Vault paths a token uses on itself (Vault docs, "Token auth method": the default policy grants them). */
const VAULT_SELF = /^auth\/token\/(renew-self|lookup-self|revoke-self)$/;
/** Kubernetes reviews any identity may create about itself. */
const K8S_SELF = /\/(selfsubjectaccessreviews|selfsubjectrulesreviews|selfsubjectreviews)\//;

/**
 * Session plumbing: logging in, renewing or looking up one's own token, asking who one is. Every
 * identity needs these to exercise what it is allowed, no policy can deny them (sts:GetCallerIdentity,
 * Vault's default policy), so `allow` does not judge them; sources, windows and environments still do.
 */
export function isSessionPlumbing(e: IdentityEvent, view = policyView(e)): boolean {
  if (e.tags.includes('auth.login')) return true;
  if (view.action.toLowerCase() === 'sts:getcalleridentity') return true;
  if (e.source === 'vault' && view.resource !== undefined && VAULT_SELF.test(view.resource)) return true;
  return (
    e.source === 'k8s-audit' && view.action === 'k8s:create' && view.resource !== undefined && K8S_SELF.test(`/${view.resource}/`)
  );
}

/** Agent events (tool calls, invocations) of an identity that declares `agent` are governed by `agent`, not `allow`. */
function governedByAgent(id: ManifestIdentity, e: IdentityEvent): boolean {
  return id.agent !== undefined && e.source === 'agent-trace';
}

/**
 * Every declared expectation `e` breaks for the declared identity `id`, in a fixed order (allow,
 * sources, windows, environments, agent). Checks only what the event carries: an event without a
 * client address is not judged on networks (request-time authorization fails closed instead), and
 * session plumbing (login, own-token renewal, whoami) is not judged on `allow`.
 * @example checkEvent(identity, event).map((v) => v.kind) // ['network']
 */
export function checkEvent(id: ManifestIdentity, e: IdentityEvent): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const who = id.name;
  const view = policyView(e);
  if (id.allow !== undefined && !governedByAgent(id, e) && !isSessionPlumbing(e, view)) {
    const byAction = id.allow.filter((a) => actionAllowed(a.actions, view.action));
    if (byAction.length === 0) {
      out.push({
        kind: 'action',
        identity: id,
        policy: `${who}/allow`,
        message: `${who} performed ${view.action}, which its manifest entry does not allow.`,
        observed: [view.action],
        expected: id.allow.flatMap((a) => a.actions).slice(0, 20),
        at: id.allow[0]?.at ?? id.at,
      });
    } else if (
      view.resource !== undefined &&
      !byAction.some((a) => a.resources === undefined || resourceAllowed(a.resources, view.resource!))
    ) {
      out.push({
        kind: 'resource',
        identity: id,
        policy: `${who}/allow`,
        message: `${who} performed ${view.action} on ${view.resource}, a resource its manifest entry does not allow for that action.`,
        observed: [view.resource],
        expected: byAction.flatMap((a) => a.resources ?? []).slice(0, 20),
        at: byAction[0]!.at,
      });
    }
  }
  const src = id.sources;
  if (src?.networks && e.client.ip !== undefined && !inAnyNetwork(e.client.ip, src.networks)) {
    out.push({
      kind: 'network',
      identity: id,
      policy: `${who}/sources`,
      message: `${who} acted from ${e.client.ip}, outside its declared networks.`,
      observed: [e.client.ip],
      expected: [...src.networks],
      at: src.at,
    });
  }
  if (src?.regions && e.client.region !== undefined && !src.regions.some((r) => globMatch(r, e.client.region!))) {
    out.push({
      kind: 'region',
      identity: id,
      policy: `${who}/sources`,
      message: `${who} acted in region ${e.client.region}, outside its declared regions.`,
      observed: [e.client.region],
      expected: [...src.regions],
      at: src.at,
    });
  }
  const ms = isoMs(e.time);
  if (id.windows && id.windows.length > 0 && Number.isFinite(ms) && !inAnyWindow(ms, id.windows)) {
    out.push({
      kind: 'window',
      identity: id,
      policy: `${who}/windows`,
      message: `${who} acted at ${e.time}, outside its declared windows.`,
      observed: [e.time],
      expected: id.windows.map((w) => `${w.days.join(',')} ${w.from}-${w.to} ${w.timezone}`),
      at: id.windows[0]!.at,
    });
  }
  if (id.environments && e.client.environment !== undefined && !id.environments.includes(e.client.environment)) {
    out.push({
      kind: 'environment',
      identity: id,
      policy: `${who}/environments`,
      message: `${who} acted in environment ${e.client.environment}, outside its declared environments.`,
      observed: [e.client.environment],
      expected: [...id.environments],
      at: id.at,
    });
  }
  const agent = id.agent;
  if (agent?.tools && e.agent?.tool !== undefined && !agent.tools.some((t) => globMatch(t, e.agent!.tool!))) {
    out.push({
      kind: 'agent-tool',
      identity: id,
      policy: `${who}/agent`,
      message: `${who} called tool ${e.agent.tool}, which its manifest entry does not list.`,
      observed: [e.agent.tool],
      expected: [...agent.tools],
      at: agent.at,
    });
  }
  const dest = e.agent?.destination;
  if (
    agent?.destinations &&
    dest !== undefined &&
    !agent.destinations.some((d) => globMatch(d, hostOf(dest)) || globMatch(d, dest))
  ) {
    out.push({
      kind: 'agent-destination',
      identity: id,
      policy: `${who}/agent`,
      message: `${who} reached ${dest}, a destination its manifest entry does not list.`,
      observed: [dest],
      expected: [...agent.destinations],
      at: agent.at,
    });
  }
  return out;
}

/**
 * Resolves the event's actor against the manifest and checks it: `undefined` when the actor is not
 * declared, else the declared identity and what it broke (possibly nothing).
 * @example const r = evaluateEvent(manifest, event); if (r && r.violations.length) …
 */
export function evaluateEvent(
  manifest: Manifest,
  e: IdentityEvent,
): { identity: ManifestIdentity; violations: PolicyViolation[] } | undefined {
  const identity = resolveEvent(manifest, e);
  return identity ? { identity, violations: checkEvent(identity, e) } : undefined;
}
