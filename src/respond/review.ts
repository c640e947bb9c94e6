import type { BlastRadius } from '../correlate/blast.js';
import type { ReviewTask } from './types.js';

/**
 * A review task from a blast radius: every identity reached (with the path that reaches it), every
 * credential of them, every resource permission, each with its owners. `owners` maps a node id to
 * the owners the graph records for it (or for the identity it belongs to); `labels` names nodes.
 * @example buildReviewTask(await blastRadius(store, 'credential:aws-key:AKIA…'), owners, labels)
 */
export function buildReviewTask(
  radius: BlastRadius,
  owners: ReadonlyMap<string, string[]>,
  labels: ReadonlyMap<string, string> = new Map(),
): ReviewTask {
  const via = (path: BlastRadius['identities'][number]['path']) => path.map((s) => `${s.from} —${s.kind}→ ${s.to}`);
  const start = radius.start;
  const identities = radius.identities.map((n) => ({
    id: n.id,
    label: labels.get(n.id) ?? n.id.slice(n.id.indexOf(':') + 1),
    owners: owners.get(n.id) ?? [],
    via: via(n.path),
  }));
  if (start.startsWith('identity:') && !identities.some((i) => i.id === start))
    identities.unshift({ id: start, label: labels.get(start) ?? start.slice(9), owners: owners.get(start) ?? [], via: [] });
  const credentials = radius.credentials.map((n) => ({
    id: n.id,
    label: labels.get(n.id) ?? n.id.slice(11),
    owners: owners.get(n.id) ?? [],
  }));
  if (start.startsWith('credential:') && !credentials.some((c) => c.id === start))
    credentials.unshift({ id: start, label: labels.get(start) ?? start.slice(11), owners: owners.get(start) ?? [] });
  const permissions = radius.resources.map((n) => ({
    resource: n.id.slice(n.id.indexOf(':') + 1),
    access: n.access ?? 'granted',
    actions: n.actions ?? [],
    admin: n.admin === true,
    via: via(n.path),
  }));
  return { subject: start, identities, credentials, permissions, truncated: radius.truncated };
}
