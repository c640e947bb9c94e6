import type { IdentityEvent } from '../model/identity-event.js';
import { canonicalName } from './load.js';
import { globMatch } from './match.js';
import type { Manifest, ManifestIdentity } from './schema.js';

interface Index {
  byName: Map<string, ManifestIdentity>;
  exact: Map<string, ManifestIdentity>;
  globs: Array<{ glob: string; identity: ManifestIdentity }>;
}

const indexes = new WeakMap<Manifest, Index>();

function indexOf(manifest: Manifest): Index {
  let ix = indexes.get(manifest);
  if (ix === undefined) {
    ix = { byName: new Map(), exact: new Map(), globs: [] };
    for (const id of manifest.identities) {
      ix.byName.set(id.name, id);
      for (const m of id.match) {
        if (m.includes('*') || m.includes('?')) ix.globs.push({ glob: m, identity: id });
        else if (!ix.exact.has(canonicalName(m))) ix.exact.set(canonicalName(m), id);
      }
    }
    indexes.set(manifest, ix);
  }
  return ix;
}

/**
 * The declared identity a name refers to: its Warden name, or anything its `match` lists (an ARN,
 * an assumed-role session ARN of a listed role, a Vault display name or entity id, a service account,
 * an agent id, a credential key). Exact names win over `match` globs; globs are tried in manifest
 * order. A name from IaC written without an account (`arn:aws:iam::*:role/x`) matches the declared
 * role of that name in any account.
 * @example resolveIdentity(manifest, 'arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42')?.name // 'ci-deployer'
 */
export function resolveIdentity(manifest: Manifest, name: string): ManifestIdentity | undefined {
  const ix = indexOf(manifest);
  const c = canonicalName(name);
  const hit = ix.exact.get(c) ?? ix.byName.get(name);
  if (hit) return hit;
  for (const g of ix.globs) if (globMatch(g.glob, c) || globMatch(g.glob, name)) return g.identity;
  // IaC names roles it cannot place in an account with `*` in the account field.
  if (/^arn:[^:]+:iam::\*:/.test(c)) {
    for (const [k, id] of ix.exact) if (globMatch(c, k)) return id;
  }
  return undefined;
}

/** The declared identity by its Warden name only. @example identityByName(manifest, 'ci-deployer')?.owner */
export function identityByName(manifest: Manifest, name: string): ManifestIdentity | undefined {
  return indexOf(manifest).byName.get(name);
}

/**
 * Every name an event gives its actor, most specific first: identity id, credential key, display
 * name, and the Kubernetes service account a Vault token was issued to.
 */
export function eventNames(e: IdentityEvent): string[] {
  const out = [e.identity.id];
  if (e.credential?.key && e.credential.lifecycle !== 'issued') out.push(e.credential.key);
  if (e.identity.name) out.push(e.identity.name);
  if (e.identity.via?.startsWith('system:serviceaccount:')) out.push(e.identity.via);
  return out;
}

/**
 * The declared identity an event is about, or undefined when the manifest does not name its actor.
 * @example resolveEvent(manifest, event)?.name
 */
export function resolveEvent(manifest: Manifest, e: IdentityEvent): ManifestIdentity | undefined {
  if (manifest.identities.length === 0) return undefined;
  for (const n of eventNames(e)) {
    const id = resolveIdentity(manifest, n);
    if (id) return id;
  }
  return undefined;
}
