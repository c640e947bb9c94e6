import { join } from 'node:path';
import { z } from 'zod';
import { readValidatedYamlDir } from '../model/data-file.js';
import { type Issue, WardenError } from '../model/errors.js';
import { packageRoot } from '../model/package-root.js';

const ControlSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  description: z.string().min(1),
  aliases: z.array(z.string()).optional(),
});

export const CatalogueSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  version: z.string(),
  source: z.string().url(),
  controls: z.array(ControlSchema).min(1),
});
export type Catalogue = z.infer<typeof CatalogueSchema>;
export type Control = z.infer<typeof ControlSchema>;

/** A framework reference as rules and detections write it: `owasp-nhi/NHI2:2025`. */
export interface ResolvedRef {
  ref: string;
  catalogue: Catalogue;
  control: Control;
}

let cached: Map<string, Catalogue> | undefined;

/** Every catalogue under frameworks/, validated, by id. */
export function loadCatalogues(dir = join(packageRoot(), 'frameworks')): Map<string, Catalogue> {
  if (cached && dir === join(packageRoot(), 'frameworks')) return cached;
  const issues: Issue[] = [];
  const out = new Map<string, Catalogue>();
  for (const { data } of readValidatedYamlDir(dir, 'frameworks', CatalogueSchema, issues)) out.set(data.id, data);
  if (issues.length > 0) throw new WardenError('WARDEN_FRAMEWORK_REF_UNKNOWN', 'invalid framework catalogue', issues);
  cached = out;
  return out;
}

/**
 * Resolves `catalogue/control` to its catalogue entry, or undefined when either part is unknown.
 * @example resolveRef('owasp-nhi/NHI2:2025')?.control.title // 'Secret Leakage'
 */
export function resolveRef(ref: string, catalogues = loadCatalogues()): ResolvedRef | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const catalogue = catalogues.get(ref.slice(0, slash));
  const control = catalogue?.controls.find((c) => c.id === ref.slice(slash + 1));
  return catalogue && control ? { ref, catalogue, control } : undefined;
}

/** Throws WARDEN_FRAMEWORK_REF_UNKNOWN listing every reference that does not resolve. */
export function assertRefsResolve(owners: ReadonlyArray<{ id: string; frameworks: readonly string[] }>): void {
  const catalogues = loadCatalogues();
  const issues: Issue[] = [];
  for (const o of owners) {
    for (const ref of o.frameworks) {
      if (!resolveRef(ref, catalogues)) issues.push({ path: o.id, message: `unknown framework reference ${ref}` });
    }
  }
  if (issues.length > 0)
    throw new WardenError('WARDEN_FRAMEWORK_REF_UNKNOWN', `${issues.length} unknown framework reference(s)`, issues);
}
