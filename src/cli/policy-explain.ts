import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WardenError } from '../model/errors.js';
import { closest, type Declaration, declarationOf, identityByName, type Manifest, resolveIdentity } from '../policy/index.js';
import { termSafe } from '../report/terminal.js';
import type { CliIO } from './io.js';

/** What `warden policy explain NAME` reports: the declaration, where the credentials are, the last use. */
export interface Explanation extends Declaration {
  /** Credentials declared in code or IaC (scan report) and seen at run time (store). */
  credentialsFound: Array<{ where: string; what: string }>;
  lastUsed?: { time: string; credential?: string | undefined; from: string } | undefined;
  alerts: number;
}

/**
 * Explains one declared identity: its manifest entry, the credentials a scan report and the identity
 * graph know for it, and when and from where it was last used.
 */
export async function explainIdentity(
  io: CliIO,
  manifest: Manifest,
  name: string,
  options: { scan?: string | undefined; store?: string | undefined },
): Promise<Explanation> {
  const id = identityByName(manifest, name) ?? resolveIdentity(manifest, name);
  if (!id) {
    const guess = closest(
      name,
      manifest.identities.map((i) => i.name),
    );
    throw new WardenError(
      'WARDEN_NOT_FOUND',
      `no identity "${name}" in the manifest${guess ? `: did you mean "${guess}"?` : ` (declared: ${manifest.identities.map((i) => i.name).join(', ') || 'none'})`}`,
    );
  }
  const out: Explanation = { ...declarationOf(manifest, id), credentialsFound: [], alerts: 0 };
  if (options.scan) {
    const { readScanReport } = await import('../report/read.js');
    const { readFileSync } = await import('node:fs');
    const { inventoryIdentities } = await import('../policy/drift.js');
    const report = readScanReport(readFileSync(resolve(io.cwd, options.scan), 'utf8'));
    for (const r of report.inventory) {
      if (r.kind !== 'has-credential' || !inventoryIdentities(manifest, r.src).includes(id)) continue;
      const p = r.dst.props ?? {};
      out.credentialsFound.push({
        where: `${r.path}:${r.line}`,
        what: `${String(p.type ?? 'credential')}${p.static === true ? ' (static)' : ''}${typeof p.lifetimeSeconds === 'number' ? ` lifetime ${p.lifetimeSeconds}s` : ''}`,
      });
    }
    for (const f of report.findings) {
      if (f.kind === 'secret' && f.credentialKey && resolveIdentity(manifest, f.credentialKey.value) === id)
        out.credentialsFound.push({ where: `${f.path}:${f.line}`, what: `${f.title} ${f.preview} (leaked)` });
    }
  }
  const storeUrl = options.store ?? io.env.WARDEN_DATABASE_URL;
  if (storeUrl !== undefined || existsSync(join(io.cwd, '.warden', 'warden.db'))) {
    const { evidenceOf, openStore, resolveNode } = await import('../store/index.js');
    const store = await openStore(storeUrl, { dir: io.cwd });
    try {
      const nodes = new Set<string>();
      for (const n of [...id.match, id.name]) {
        const node = await resolveNode(store, n);
        if (node?.startsWith('identity:')) nodes.add(node);
      }
      let last: { t: number; credential: string; from: string } | undefined;
      for (const node of nodes) {
        const ev = await evidenceOf(store, node);
        if (!ev) continue;
        for (const c of ev.credentials)
          out.credentialsFound.push({ where: 'runtime', what: `${c.label} (${c.exposure.status})` });
        for (const f of ev.findings)
          out.credentialsFound.push({ where: `${f.repository}:${f.path}:${f.line}`, what: `${f.ruleId} (leaked)` });
        for (const u of ev.uses)
          if (!last || u.lastSeen > last.t) last = { t: u.lastSeen, credential: u.credential, from: u.source };
        out.alerts += ev.alerts.length;
      }
      if (last)
        out.lastUsed = {
          time: new Date(last.t).toISOString(),
          credential: last.credential.replace(/^credential:/, ''),
          from: last.from.replace(/^(network|workload):/, ''),
        };
    } finally {
      await store.close();
    }
  }
  return out;
}

/** The explanation as text for a terminal (every field from files or logs through termSafe). */
export function explanationText(e: Explanation): string {
  const s = (v: unknown) => termSafe(v);
  const lines = [
    `${s(e.name)}  owner ${s(e.owner)}  (declared at ${s(e.declaredAt)})`,
    `  known as: ${e.match.map(s).join(', ') || '-'}`,
  ];
  if (e.environments) lines.push(`  environments: ${e.environments.map(s).join(', ')}`);
  lines.push('  may do:');
  if (e.allow === undefined) lines.push('    anything (no allow list declared)');
  else if (e.allow.length === 0) lines.push('    nothing (allow: [])');
  for (const a of e.allow ?? [])
    lines.push(`    ${a.actions.map(s).join(', ')} on ${a.resources.map(s).join(', ')}  [${s(a.id)}, ${s(a.at)}]`);
  lines.push(
    `  from: ${e.sources ? [...(e.sources.networks ?? []), ...(e.sources.regions ?? [])].map(s).join(', ') : 'anywhere'}`,
  );
  lines.push(`  when: ${e.windows ? e.windows.map(s).join('; ') : 'any time'}`);
  if (e.credentials)
    lines.push(
      `  credentials: ${e.credentials.longLived === false ? 'short-lived only (no static keys)' : 'static keys allowed'}${e.credentials.maxLifetime ? `, at most ${s(e.credentials.maxLifetime)}` : ''}`,
    );
  if (e.agent)
    lines.push(
      `  agent: tools ${(e.agent.tools ?? ['any']).map(s).join(', ')}; destinations ${(e.agent.destinations ?? ['any']).map(s).join(', ')}`,
    );
  for (const t of e.trust)
    lines.push(`  just-in-time for: ${s(t.subject)} from ${s(t.issuer)} (aud ${s(t.audience)}) [${s(t.at)}]`);
  lines.push('  credentials found:');
  if (e.credentialsFound.length === 0) lines.push('    none known (give --scan REPORT, or import logs with warden import)');
  for (const c of e.credentialsFound) lines.push(`    ${s(c.what)}  at ${s(c.where)}`);
  lines.push(
    e.lastUsed
      ? `  last used: ${s(e.lastUsed.time)} from ${s(e.lastUsed.from)}${e.lastUsed.credential ? ` with ${s(e.lastUsed.credential)}` : ''}; ${e.alerts} alert(s)`
      : '  last used: not in the identity graph',
  );
  return `${lines.join('\n')}\n`;
}
