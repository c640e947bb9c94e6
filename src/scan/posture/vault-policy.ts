import { parseHcl } from './hcl.js';
import type { PostureAnalyzer, PostureContext } from './types.js';

/**
 * HashiCorp Vault ACL policies (HCL, or the JSON form Vault also accepts): catch-all paths, sudo,
 * writes to sys/ and auth/, and mount-wide wildcards over secrets. Each `path "…" { }` block is judged
 * on its own; `deny` blocks only take access away and are never reported.
 */

interface PathRule {
  path: string;
  capabilities: string[];
}

/** The pre-0.9 `policy = "…"` shorthand as the capabilities Vault expands it to (Vault docs, "Policies"). */
const LEGACY_POLICY: Record<string, string[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const WRITE = ['create', 'update', 'patch', 'delete'];

/** hcl2json gives `path` as { "<pattern>": [ {capabilities}, … ] }; JSON policies give one object per pattern. */
function pathRules(doc: unknown): PathRule[] | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const paths = (doc as { path?: unknown }).path;
  if (typeof paths !== 'object' || paths === null) return undefined;
  const out: PathRule[] = [];
  for (const [path, body] of Object.entries(paths)) {
    for (const block of Array.isArray(body) ? body : [body]) {
      if (typeof block !== 'object' || block === null) continue;
      const b = block as { capabilities?: unknown; policy?: unknown };
      const caps = Array.isArray(b.capabilities)
        ? b.capabilities.filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase())
        : typeof b.policy === 'string'
          ? (LEGACY_POLICY[b.policy.toLowerCase()] ?? [])
          : undefined;
      if (caps !== undefined) out.push({ path, capabilities: caps });
    }
  }
  return out;
}

/** `*`, `+/*`, `+/+/*`: every path of every mount. */
const isCatchAll = (p: string): boolean => /^[+/]*\*$/.test(p.trim());

/**
 * Vault's built-in `default` policy grants these to every token; a machine policy repeating them
 * (renew or look up its own token, wrap responses, renew its leases) asks for nothing more. Child
 * tokens (`auth/token/create`) never exceed their parent's policies, and a secret-id for one named
 * AppRole role is the trusted-broker pattern HashiCorp documents.
 */
const SELF_SERVICE =
  /^(?:auth\/token\/(?:lookup-self|renew-self|revoke-self|create)|auth\/[^/*+]+\/role\/[^/*+]+\/secret-id|sys\/(?:capabilities-self|renew|leases\/(?:renew|lookup)|wrapping\/(?:wrap|unwrap|lookup|rewrap)|tools\/(?:hash|random)(?:\/.*)?|control-group\/request|mfa\/validate)|auth\/[^/]+\/login)$/;

/** Mounts whose paths are not secrets: the system backend, auth, identity, per-token cubbyhole and transit operations. */
const NOT_SECRET_MOUNT = new Set(['sys', 'auth', 'identity', 'cubbyhole', 'transit']);
/**
 * KV version 2 puts an operation between the mount and the secret's path; dynamic engines put one
 * before the role whose credentials are read (database/creds/<role>, aws/sts/<role>).
 */
const OPERATION_SEGMENT = new Set(['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys', 'creds', 'sts']);

/**
 * Whether a pattern covers every secret of a mount: its first glob comes before any path segment
 * below the mount (or below KV v2's data/ or metadata/), e.g. `secret/*`, `kv/data/*`, `secret/data/+/db`.
 */
function mountWide(p: string): { mount: string; metadata: boolean } | undefined {
  const segs = p.replace(/^\/+/, '').split('/');
  const mount = segs[0] ?? '';
  if (mount === '' || NOT_SECRET_MOUNT.has(mount)) return undefined;
  const metadata = segs[1] === 'metadata';
  // A glob in the mount itself (`+/data/*`, `kv*`) spans several mounts.
  if (mount === '+' || mount.includes('*')) return { mount, metadata };
  let i = 1;
  if (segs[i] !== undefined && OPERATION_SEGMENT.has(segs[i]!)) i++;
  const next = segs[i];
  if (next === undefined) return undefined; // the mount path itself (KV v1 list of its root, say)
  return next === '+' || next.startsWith('*') ? { mount, metadata } : undefined;
}

/** Policy files named for people (admin, operator, break-glass) are expected to administer Vault. */
const HUMAN_ADMIN = /(?:^|[-_.])(?:admin|administrator|operators?|ops|superuser|break-?glass|root|sre)(?:[-_.]|$)/i;

function analyzeRules(ctx: PostureContext, rules: PathRule[]): void {
  const file = ctx.path.split('/').pop() ?? ctx.path;
  const humanAdmin = HUMAN_ADMIN.test(file.replace(/\.(?:hcl|json)$/i, ''));
  // A pattern may have several blocks (hcl2json groups them): the nth block is at the nth match.
  const lastLine = new Map<string, number>();
  for (const r of rules) {
    const esc = r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const prev = lastLine.get(r.path);
    const line = ctx.findLine(new RegExp(`path\\s+"${esc}"|"${esc}"\\s*:`), prev === undefined ? 1 : prev + 1);
    lastLine.set(r.path, line);
    const caps = r.capabilities;
    if (caps.length === 0 || caps.includes('deny')) continue;
    const evidence = `path "${r.path}" { capabilities = [${caps.map((c) => `"${c}"`).join(', ')}] }`;
    const report = (ruleId: string, message?: string): void =>
      ctx.report(message ? { ruleId, line, evidence, message } : { ruleId, line, evidence });
    const writes = caps.filter((c) => WRITE.includes(c));

    if (isCatchAll(r.path)) {
      report('posture.vault.catch-all-path');
      continue; // everything else this block grants is part of the same finding
    }
    if (caps.includes('sudo') && !humanAdmin) report('posture.vault.sudo-capability');
    const p = r.path.replace(/^\/+/, '');
    if (/^(?:sys|auth)(?:\/|\*|$)/.test(p) && writes.length > 0 && !SELF_SERVICE.test(p) && !humanAdmin) {
      report('posture.vault.sys-auth-write', `Policy can change Vault itself: ${writes.join(', ')} on ${r.path}`);
    }
    const wide = mountWide(p);
    if (wide && caps.some((c) => WRITE.includes(c))) report('posture.vault.mount-wide-write');
    else if (wide && !wide.metadata && caps.includes('read')) report('posture.vault.mount-wide-read');
  }
}

/**
 * Vault policy analyzer. Accepts `.hcl` files with `path "…"` blocks (Terraform, Nomad and Consul
 * files have none) and JSON policies with a top-level `path` object.
 * @example await analyzePosture('vault/policies/ci.hcl', text) // posture.vault.* findings
 */
export const vaultPolicyAnalyzer: PostureAnalyzer = {
  id: 'vault-policy',
  accepts(path, head) {
    // A long licence header can push the first block past the head; a policies/ folder says enough.
    if (/\.hcl$/i.test(path)) return /(?:^|\n)\s*path\s+"/.test(head) || /polic/i.test(path);
    if (/\.json$/i.test(path)) return /^\s*\{\s*"path"\s*:\s*\{/.test(head) && /"(?:capabilities|policy)"/.test(head);
    return false;
  },
  async analyze(ctx) {
    let doc: unknown;
    const json = /\.json$/i.test(ctx.path);
    try {
      doc = json ? JSON.parse(ctx.text) : await parseHcl(ctx.path, ctx.text);
    } catch (err) {
      ctx.malformed(`not valid ${json ? 'JSON' : 'HCL'}: ${String((err as Error).message ?? err).split('\n')[0]}`);
      return;
    }
    const rules = pathRules(doc);
    // HCL with `path` blocks but no capabilities is some other tool's file: nothing to judge.
    if (!rules || rules.length === 0) return;
    analyzeRules(ctx, rules);
  },
};
