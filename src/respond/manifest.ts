import { type Manifest, resolveIdentity } from '../policy/index.js';
import type { Incident } from './types.js';

/**
 * The policy manifest's say on automatic response: an identity whose entry has
 * `response: { automatic: false }` gets no automatic playbook; a person must approve. Every name the
 * incident knows the identity by is tried (the alert's id and name, the credential's owners).
 * @example planResponse(incident, playbooks, { …, automaticForbidden: automaticForbiddenBy(manifest, incident) })
 */
export function automaticForbiddenBy(manifest: Manifest, incident: Incident): (identityId: string) => string | undefined {
  return (identityId) => {
    const a = incident.alert.identity;
    const names = [identityId, ...(a.name ? [a.name] : []), ...incident.credentialOf];
    for (const name of names) {
      const entry = resolveIdentity(manifest, name);
      if (entry?.response?.automatic === false)
        return `${entry.name} forbids automatic response (${entry.response.at.file}:${entry.response.at.line})`;
    }
    return undefined;
  };
}
