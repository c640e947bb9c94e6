import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DETECTIONS } from '../detect/detections/index.js';
import { POLICY_VIOLATION_ID } from '../model/alert.js';
import { type Issue, WardenError } from '../model/errors.js';
import { SeveritySchema, severityRank } from '../model/severity.js';
import { ACTION_NAMES, type Incident } from './types.js';

const EXPOSURES = [
  'not-leaked',
  'leaked-never-seen',
  'leaked-in-use-by-owner',
  'leaked-in-use-unknown-source',
  'leaked-revoked',
] as const;

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** The detections a playbook may name: the built-in ones, the policy check, and Sigma rules by their UUID. */
const KNOWN_DETECTIONS: readonly string[] = [...DETECTIONS.map((d) => d.meta.id), POLICY_VIOLATION_ID];
const SIGMA_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DetectionPattern = z.string().refine((d) => d.endsWith('*') || KNOWN_DETECTIONS.includes(d) || SIGMA_ID.test(d), {
  message: `unknown detection (known: ${KNOWN_DETECTIONS.join(', ')}, or a Sigma rule's id; a trailing * matches a prefix)`,
});

/** A playbook's trigger: every condition given must hold. */
const WhenSchema = z
  .strictObject({
    detections: oneOrMany(DetectionPattern).optional(),
    minSeverity: SeveritySchema.optional(),
    exposure: oneOrMany(z.enum(EXPOSURES)).optional(),
    /** The identity's risk band at the last rescore: any of these. */
    riskBand: oneOrMany(SeveritySchema).optional(),
    /** The identity's risk band at least this. */
    minRiskBand: SeveritySchema.optional(),
  })
  .default({});

const StepSchema = z.strictObject({
  action: z.string().refine((a) => (ACTION_NAMES as readonly string[]).includes(a), {
    message: `unknown action (known: ${ACTION_NAMES.join(', ')})`,
  }),
  with: z.record(z.string(), z.unknown()).default({}),
});

const PlaybookSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'ids are letters, digits, ".", "_" and "-"'),
  description: z.string().optional(),
  when: WhenSchema,
  steps: z.array(StepSchema).min(1),
  approval: z.enum(['required', 'automatic']).default('required'),
});

export const PlaybookFileSchema = z.strictObject({ playbooks: z.array(PlaybookSchema) });
export type Playbook = z.infer<typeof PlaybookSchema>;
export type PlaybookStep = Playbook['steps'][number];

/**
 * Reads `warden.playbooks.yaml`: every problem is reported at once with `file:line`, and duplicate
 * ids are errors. Throws WardenError WARDEN_PLAYBOOK_INVALID (or WARDEN_SOURCE_UNREADABLE for a
 * missing file).
 * @example const playbooks = loadPlaybooks('warden.playbooks.yaml');
 */
export function loadPlaybooks(file: string): Playbook[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('WARDEN_SOURCE_UNREADABLE', `cannot read playbooks ${file}: ${(error as Error).message}`);
  }
  return parsePlaybooks(text, file);
}

/** Parses playbook YAML text; `file` names it in errors. */
export function parsePlaybooks(text: string, file: string): Playbook[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => `${file}:${offset === undefined ? 1 : lines.linePos(offset).line}`;
  if (doc.errors.length > 0)
    throw new WardenError(
      'WARDEN_PLAYBOOK_INVALID',
      `${file} is not valid YAML`,
      doc.errors.map((e) => ({ path: at(e.pos[0]), message: e.message.split('\n')[0] ?? e.message })),
    );
  const parsed = PlaybookFileSchema.safeParse(doc.toJS() ?? {});
  const issues: Issue[] = [];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      // The deepest node the path reaches gives the line (an unknown key: the object holding it).
      let node: unknown;
      for (let n = i.path.length; n >= 0 && !isNode(node); n--) node = doc.getIn(i.path.slice(0, n) as unknown[], true);
      const offset = isNode(node) ? node.range?.[0] : undefined;
      issues.push({ path: `${at(offset)} ${i.path.map(String).join('.')}`.trim(), message: i.message });
    }
    throw new WardenError('WARDEN_PLAYBOOK_INVALID', `${file} has ${issues.length} problem(s)`, issues);
  }
  const seen = new Set<string>();
  parsed.data.playbooks.forEach((p, n) => {
    if (seen.has(p.id)) {
      const node = doc.getIn(['playbooks', n, 'id'], true);
      issues.push({
        path: `${at(isNode(node) ? node.range?.[0] : undefined)} playbooks.${n}.id`,
        message: `duplicate id ${p.id}`,
      });
    }
    seen.add(p.id);
  });
  if (issues.length > 0) throw new WardenError('WARDEN_PLAYBOOK_INVALID', `${file} has ${issues.length} problem(s)`, issues);
  return parsed.data.playbooks;
}

/** Why a playbook does or does not apply to an incident: the first condition that fails, or none. */
export function whyNot(p: Playbook, incident: Incident): string | undefined {
  const a = incident.alert;
  const w = p.when;
  if (
    w.detections &&
    !w.detections.some((d) => (d.endsWith('*') ? a.detectionId.startsWith(d.slice(0, -1)) : d === a.detectionId))
  )
    return `detection ${a.detectionId} is not one of ${w.detections.join(', ')}`;
  if (w.minSeverity && severityRank(a.severity) < severityRank(w.minSeverity))
    return `severity ${a.severity} is below ${w.minSeverity}`;
  if (w.exposure && !w.exposure.includes((incident.exposure ?? 'not-leaked') as (typeof EXPOSURES)[number]))
    return `exposure ${incident.exposure ?? 'unknown'} is not one of ${w.exposure.join(', ')}`;
  if (w.riskBand && (incident.riskBand === undefined || !w.riskBand.includes(incident.riskBand)))
    return `risk band ${incident.riskBand ?? 'unscored'} is not one of ${w.riskBand.join(', ')}`;
  if (w.minRiskBand && (incident.riskBand === undefined || severityRank(incident.riskBand) < severityRank(w.minRiskBand)))
    return `risk band ${incident.riskBand ?? 'unscored'} is below ${w.minRiskBand}`;
  return undefined;
}
