import { join } from 'node:path';
import { z } from 'zod';
import { readYamlData } from '../../model/data-file.js';
import { packageRoot } from '../../model/package-root.js';
import { SEVERITIES } from '../../model/severity.js';
import type { DetectionMeta } from '../detection.js';

/** A detection's `meta.yaml`: everything about it that is not code. */
export const DetectionMetaSchema = z
  .object({
    /** `runtime.<area>.<name>`: the id alerts, exceptions, severities and playbooks name it by. */
    id: z.string().regex(/^runtime\.[a-z0-9-]+\.[a-z0-9-]+$/, 'an id like runtime.credential.new-source'),
    title: z.string().min(1),
    description: z.string().min(1),
    severity: z.enum(SEVERITIES),
    type: z.enum(['rule', 'behavioral']),
    per: z.enum(['identity', 'credential']),
    /** Maturity, in Sigma's words. */
    status: z.enum(['stable', 'test', 'experimental']),
    attacks: z.array(z.object({ id: z.string().regex(/^T\d{4}(?:\.\d{3})?$/), name: z.string(), tactic: z.string() }).strict()),
    frameworks: z.array(z.string().min(1)),
  })
  .strict();

/** Where the built-in detections' folders are: in the package, beside their code's sources (see package.json `files`). */
export function detectionsDir(): string {
  return join(packageRoot(), 'src', 'detect', 'detections');
}

/**
 * Reads and validates the `meta.yaml` of a built-in detection's folder. A broken one is a defect of the
 * package, not of the user's input: it throws, naming the file and the fields.
 * @example export const rateSpike = { meta: loadMeta('rate-spike'), … }
 */
export function loadMeta(folder: string): DetectionMeta {
  const path = join(detectionsDir(), folder, 'meta.yaml');
  const parsed = DetectionMetaSchema.safeParse(readYamlData(path));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new Error(`warden: invalid detection metadata ${path}: ${why}`);
  }
  return parsed.data;
}
