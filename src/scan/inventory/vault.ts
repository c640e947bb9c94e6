import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { parseHcl } from '../posture/hcl.js';
import { vaultPolicyAnalyzer } from '../posture/vault-policy.js';
import { isObj, lines, node, relation } from './common.js';
import type { InventoryExtractor } from './types.js';

/**
 * Vault ACL policies: policy node `vault-policy:<name>` → `vault:<path>` per `path` block, props
 * `{ actions: capabilities, admin }`; admin for a catch-all path (`*`, `+/*`) or sudo on `sys/`.
 * Deny blocks take access away and give nothing. Policy files are named after their file (without
 * extension); Terraform `vault_policy` resources (see terraform.ts) by their `name`.
 */

/** The pre-0.9 `policy = "…"` shorthand as the capabilities Vault expands it to (Vault docs, "Policies"). */
const LEGACY_POLICY: Record<string, string[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

interface PathRule {
  path: string;
  capabilities: string[];
}

/** hcl2json gives `path` as { "<pattern>": [ {capabilities}, … ] }; JSON policies one object per pattern. */
export function vaultPathRules(doc: unknown): PathRule[] {
  const paths = isObj(doc) ? doc.path : undefined;
  if (!isObj(paths)) return [];
  const out: PathRule[] = [];
  for (const [path, body] of Object.entries(paths)) {
    for (const block of Array.isArray(body) ? body : [body]) {
      if (!isObj(block)) continue;
      const caps = Array.isArray(block.capabilities)
        ? block.capabilities.filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase())
        : typeof block.policy === 'string'
          ? (LEGACY_POLICY[block.policy.toLowerCase()] ?? [])
          : undefined;
      if (caps !== undefined) out.push({ path, capabilities: caps });
    }
  }
  return out;
}

const isCatchAll = (p: string): boolean => /^[+/]*\*$/.test(p.trim());
const isSys = (p: string): boolean => /^\/?sys(?:\/|\*|$)/.test(p.trim());

/**
 * `can-access` relations of one policy's rules; `lineOf(rule, nth)` places the nth block of a pattern.
 * @example vaultRelations(node('policy', 'vault-policy:ci'), rules, 'ci.hcl', () => 1)
 */
export function vaultRelations(
  policy: InventoryNode,
  rules: readonly PathRule[],
  path: string,
  lineOf: (pattern: string, after: number) => number,
): InventoryRelation[] {
  const out: InventoryRelation[] = [];
  const last = new Map<string, number>();
  for (const r of rules) {
    const line = lineOf(r.path, last.get(r.path) ?? 0);
    last.set(r.path, line);
    const caps = r.capabilities;
    if (caps.length === 0 || caps.includes('deny')) continue;
    const admin = isCatchAll(r.path) || (isSys(r.path) && caps.includes('sudo'));
    out.push(relation('can-access', policy, node('resource', `vault:${r.path.trim()}`), path, line, { actions: caps, admin }));
  }
  return out;
}

/** Line finder for `path "<pattern>"` (HCL) or `"<pattern>":` (JSON) at or after `fromLine`. */
export function pathLineFinder(findLine: (needle: RegExp, fromLine?: number) => number, base = 1) {
  return (pattern: string, after: number): number => {
    const esc = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return findLine(new RegExp(`path\\s+"${esc}"|"${esc}"\\s*:`), Math.max(base, after + 1));
  };
}

async function extract(path: string, body: string): Promise<InventoryRelation[]> {
  const json = /\.json$/i.test(path);
  let doc: unknown;
  try {
    doc = json ? JSON.parse(body) : await parseHcl(path.split('/').pop() || 'policy.hcl', body);
  } catch {
    return [];
  }
  const rules = vaultPathRules(doc);
  if (rules.length === 0) return [];
  const name = (path.split('/').pop() ?? path).replace(/\.(?:hcl|json)$/i, '');
  const { findLine } = lines(path, body);
  return vaultRelations(node('policy', `vault-policy:${name}`, name, { file: path }), rules, path, pathLineFinder(findLine));
}

/** Vault policy files: the files posture's vault-policy analyzer reads. */
export const vaultPolicyExtractor: InventoryExtractor = {
  id: 'vault-policy',
  accepts: (path, head) => vaultPolicyAnalyzer.accepts(path, head),
  extract,
};
