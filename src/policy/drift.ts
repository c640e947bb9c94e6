import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding.js';
import type { InventoryNode, InventoryRelation } from '../model/inventory.js';
import type { Severity } from '../model/severity.js';
import { formatDuration, globCovers, globMatch } from './match.js';
import { resolveIdentity } from './resolve.js';
import { type PolicyRuleId, policyRule } from './rules.js';
import type { Manifest, ManifestIdentity, SourceRef } from './schema.js';

/*
 * Build-time drift: what code and IaC declare (the scan's inventory and findings) against what the
 * manifest says. Pure over its inputs; `warden scan --policy` appends the result to the scan's own
 * findings so every output format carries it.
 */

/** The repository's own CI identity as workflows name it (src/scan/inventory/github-actions.ts). */
const THIS_REPOSITORY = 'github-actions:repo:.';

export interface DriftOptions {
  /** `owner/repo` of the scanned tree, when known (git remote): resolves `github-actions:repo:.`. */
  repository?: string | undefined;
  /** Severity overrides by rule id (`severity:` in warden.config.yaml). */
  severity?: Readonly<Record<string, Severity>> | undefined;
}

const cite = (at: SourceRef): string => `${at.file}:${at.line}`;

/** A grant as the manifest spells it: `k8s:get` on `prod/secrets/*`, `vault:read` on `secret/data/app/*`. */
export function grantView(dst: InventoryNode, actions: readonly string[]): { actions: string[]; resource: string } {
  const id = dst.id;
  if (id.startsWith('k8s:')) {
    const [scope, resource] = id.slice(4).split('/', 2) as [string, string | undefined];
    return { actions: actions.map((a) => `k8s:${a}`), resource: `${scope}/${resource ?? '*'}/*` };
  }
  if (id.startsWith('vault:')) {
    return { actions: actions.map((a) => `vault:${a}`), resource: id.slice(6).replace(/\+/g, '*') };
  }
  return { actions: [...actions], resource: id };
}

/** Whether the identity's allow list covers one granted action on one granted resource (both globs). */
function covered(id: ManifestIdentity, action: string, resource: string): boolean {
  return (id.allow ?? []).some(
    (a) =>
      a.actions.some((g) => globCovers(g, action, true)) &&
      (a.resources === undefined || a.resources.some((g) => globCovers(g, resource))),
  );
}

/**
 * The declared identities an inventory identity stands for. GitHub Actions identities
 * (`github-actions:repo:<owner/repo>`) are matched through the OIDC subjects the manifest lists
 * (`repo:<owner/repo>:…`); the repository's own (`repo:.`) through `repository` when known, else every
 * entry that lists a GitHub subject. `environment` narrows to subjects naming that environment.
 */
export function inventoryIdentities(
  manifest: Manifest,
  n: InventoryNode,
  repository?: string,
  environment?: string,
  subjects: readonly string[] = [],
): ManifestIdentity[] {
  if (!n.id.startsWith('github-actions:repo:')) {
    const hit = resolveIdentity(manifest, n.id) ?? (n.label ? resolveIdentity(manifest, n.label) : undefined);
    return hit ? [hit] : [];
  }
  let repo: string | undefined = n.id.slice('github-actions:repo:'.length);
  if (repo === '.') repo = repository;
  const subs = [...subjects, ...stringsOf(n.props?.sub)];
  const names = (m: string) => m.toLowerCase();
  const claims = (m: string): boolean => {
    const s = names(m);
    if (!s.startsWith('repo:') && !s.startsWith('repo:*')) return false;
    if (repo === undefined) return true;
    const r = repo.toLowerCase();
    return s === `repo:${r}` || s.startsWith(`repo:${r}:`) || globCovers(s, `repo:${r}:*`) || subs.some((p) => globMatch(s, p));
  };
  let out = manifest.identities.filter((id) => id.match.some(claims));
  if (environment) {
    const env = out.filter((id) => id.match.some((m) => names(m).includes(`:environment:${environment.toLowerCase()}`)));
    if (env.length > 0) out = env;
  }
  return out;
}

const stringsOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** Identities that receive a relation's grants: its source, or the holders of the policy it is. */
function holdersOf(r: InventoryRelation, policyHolders: Map<string, InventoryNode[]>): InventoryNode[] {
  if (r.src.kind === 'identity') return [r.src];
  if (r.src.kind === 'policy') return policyHolders.get(r.src.id) ?? [];
  return [];
}

/** A policy nobody in the scan is bound to may still be named in the manifest: by its id or bare name. */
function manifestHolderOfPolicy(manifest: Manifest, policy: InventoryNode): ManifestIdentity | undefined {
  const bare = policy.id.replace(/^(aws-policy|vault-policy|k8s-role):/, '');
  const short = bare.split('/').pop() ?? bare;
  for (const name of [policy.id, bare, short, short.replace(/[-_.]?(policy|role|access|permissions)$/i, '')]) {
    const hit = name ? resolveIdentity(manifest, name) : undefined;
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Drift between the manifest and what a scan found, as findings (`policy.drift.*`) at the IaC or code
 * line, each citing the manifest line it departs from.
 * @example const drift = policyDrift(manifest, inventory, findings, { repository: 'acme/api' })
 */
export function policyDrift(
  manifest: Manifest,
  inventory: readonly InventoryRelation[],
  findings: readonly Finding[] = [],
  options: DriftOptions = {},
): Finding[] {
  const out = new Map<string, Finding>();
  const emit = (
    ruleId: PolicyRuleId,
    at: { path: string; line: number },
    subject: string,
    evidence: string,
    message: string,
  ): void => {
    const rule = policyRule(ruleId);
    const fingerprint = createHash('sha256').update(`${ruleId}\0${at.path}\0${subject}\0${evidence}`).digest('hex');
    const key = `${fingerprint}:${at.line}`;
    if (out.has(key)) return;
    out.set(key, {
      ruleId,
      kind: 'posture',
      title: rule.title,
      severity: options.severity?.[ruleId] ?? rule.severity,
      provider: 'policy',
      message,
      path: at.path,
      line: Math.max(1, at.line),
      column: 1,
      fingerprint,
      preview: evidence.slice(0, 200),
      frameworks: rule.frameworks,
      remediation: rule.remediation,
    });
  };

  const policyHolders = new Map<string, InventoryNode[]>();
  for (const r of inventory) {
    if (r.kind !== 'has-policy' || r.src.kind !== 'identity') continue;
    const list = policyHolders.get(r.dst.id) ?? [];
    list.push(r.src);
    policyHolders.set(r.dst.id, list);
  }

  // 1. Grants beyond allow.
  for (const r of inventory) {
    if (r.kind !== 'can-access') continue;
    const actions = stringsOf(r.props?.actions);
    if (actions.length === 0) continue;
    const view = grantView(r.dst, actions);
    const holders = holdersOf(r, policyHolders).flatMap((n) => inventoryIdentities(manifest, n, options.repository));
    if (holders.length === 0 && r.src.kind === 'policy' && !policyHolders.has(r.src.id)) {
      const h = manifestHolderOfPolicy(manifest, r.src);
      if (h) holders.push(h);
    }
    for (const id of new Set(holders)) {
      if (id.allow === undefined) continue;
      const beyond = view.actions.filter((a) => !covered(id, a, view.resource));
      if (beyond.length === 0) continue;
      const via = r.src.kind === 'policy' ? ` through ${r.src.label ?? r.src.id}` : '';
      const at = id.allow[0]?.at ?? id.at;
      emit(
        'policy.drift.grant-beyond-allow',
        r,
        id.name,
        `${beyond.join(', ')} on ${view.resource}`,
        `${id.name} is granted ${beyond.join(', ')} on ${view.resource}${via}, beyond the allow list of its manifest entry (${cite(at)}).`,
      );
    }
  }

  // 2. Static credentials and lifetimes.
  for (const r of inventory) {
    if (r.kind !== 'has-credential') continue;
    const props = r.dst.props ?? {};
    const isStatic = props.static === true;
    const lifetime = typeof props.lifetimeSeconds === 'number' ? props.lifetimeSeconds : undefined;
    const type = typeof props.type === 'string' ? props.type : 'credential';
    const environment = typeof props.environment === 'string' ? props.environment : undefined;
    const ids = inventoryIdentities(manifest, r.src, options.repository, environment);
    for (const id of ids) {
      const creds = id.credentials;
      if (!creds) continue;
      if (isStatic && creds.longLived === false) {
        const what =
          type === 'ci-static-cloud-key'
            ? `a CI job (${r.dst.id.replace(/^github-workflow:/, '')}) authenticates with a static cloud key`
            : `${r.dst.id} is a ${type === 'aws-access-key' ? 'static access key' : 'long-lived token'}`;
        emit(
          'policy.drift.static-credential',
          r,
          id.name,
          `${type} ${r.dst.id}`,
          `${what} for ${id.name}, declared longLived: false (${cite(creds.at)}): federate (OIDC) or use short-lived credentials instead.`,
        );
      } else if (
        creds.maxLifetimeSeconds !== undefined &&
        (isStatic || (lifetime !== undefined && lifetime > creds.maxLifetimeSeconds))
      ) {
        const lives = isStatic ? 'never expires' : `lives ${formatDuration(lifetime!)}`;
        emit(
          'policy.drift.lifetime-over-max',
          r,
          id.name,
          `${type} ${r.dst.id} ${lives}`,
          `${r.dst.id} (${type}) of ${id.name} ${lives}, over its maxLifetime ${creds.maxLifetime} (${cite(creds.at)}).`,
        );
      }
    }
  }
  // Leaked secrets whose credential key a manifest entry names.
  for (const f of findings) {
    if (f.kind !== 'secret') continue;
    const id =
      (f.credentialKey && resolveIdentity(manifest, f.credentialKey.value)) ||
      resolveIdentity(manifest, `sha256:${f.fingerprint}`);
    if (!id || id.credentials?.longLived !== false) continue;
    emit(
      'policy.drift.static-credential',
      f,
      id.name,
      `${f.ruleId} ${f.preview}`,
      `${f.title} of ${id.name} is a static credential in code, but the identity is declared longLived: false (${cite(id.credentials.at)}): revoke it and federate.`,
    );
  }

  // 3. Identities no entry declares, once each, at the first place that names them.
  const firstSeen = new Map<string, { node: InventoryNode; r: InventoryRelation }>();
  for (const r of inventory) {
    for (const n of [r.src, r.dst]) {
      if (n.kind !== 'identity' || n.id === THIS_REPOSITORY || n.id.includes('${') || firstSeen.has(n.id)) continue;
      firstSeen.set(n.id, { node: n, r });
    }
  }
  for (const { node, r } of firstSeen.values()) {
    if (inventoryIdentities(manifest, node, options.repository, undefined, stringsOf(r.props?.sub)).length > 0) continue;
    emit(
      'policy.drift.undeclared-identity',
      r,
      node.id,
      node.id,
      `${node.label && node.label !== node.id ? `${node.label} (${node.id})` : node.id} is declared here but no entry of the manifest (${manifest.files.join(', ')}) matches it.`,
    );
  }
  return [...out.values()];
}
