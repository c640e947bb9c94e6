import type { Manifest, ManifestIdentity, SourceRef } from './schema.js';

/** A declared identity as plain JSON: what `warden policy explain` prints and the dashboard's identity page shows. */
export interface Declaration {
  name: string;
  owner: string;
  description?: string | undefined;
  /** `file:line` of the identity's entry. */
  declaredAt: string;
  match: string[];
  environments?: string[] | undefined;
  allow?: Array<{ id: string; at: string; actions: string[]; resources: string[] }> | undefined;
  sources?: { networks?: string[] | undefined; regions?: string[] | undefined } | undefined;
  windows?: string[] | undefined;
  credentials?: { maxLifetime?: string | undefined; longLived?: boolean | undefined } | undefined;
  agent?: { tools?: string[] | undefined; destinations?: string[] | undefined } | undefined;
  response?: { automatic: boolean } | undefined;
  trust: Array<{ issuer: string; audience: string; subject: string; at: string }>;
  /** Declared changes that name the identity or its owner. */
  changes: Array<{ reason: string; from: string; to: string; at: string }>;
}

const at = (r: SourceRef) => `${r.file}:${r.line}`;

/**
 * One declared identity as plain JSON, with the `file:line` of each part.
 * @example declarationOf(manifest, identityByName(manifest, 'ci-deployer')!).allow?.[0]?.at // 'warden.policy.yaml:7'
 */
export function declarationOf(m: Manifest, id: ManifestIdentity): Declaration {
  return {
    name: id.name,
    owner: id.owner,
    ...(id.description ? { description: id.description } : {}),
    declaredAt: at(id.at),
    match: [...id.match],
    environments: id.environments && [...id.environments],
    allow: id.allow?.map((a) => ({ id: a.id, at: at(a.at), actions: [...a.actions], resources: [...(a.resources ?? ['*'])] })),
    sources: id.sources && { networks: id.sources.networks, regions: id.sources.regions },
    windows: id.windows?.map((w) => `${w.days.join(',')} ${w.from}-${w.to} ${w.timezone}`),
    credentials: id.credentials && { maxLifetime: id.credentials.maxLifetime, longLived: id.credentials.longLived },
    agent: id.agent && { tools: id.agent.tools, destinations: id.agent.destinations },
    response: id.response && { automatic: id.response.automatic },
    trust: m.trust
      .filter((t) => t.identity === id.name)
      .map((t) => ({ issuer: t.issuer, audience: t.audience, subject: t.subject, at: at(t.at) })),
    changes: m.changes
      .filter((c) => c.identities?.includes(id.name) === true || (c.owner !== undefined && c.owner === id.owner))
      .map((c) => ({ reason: c.reason, from: c.from, to: c.to, at: at(c.at) })),
  };
}
