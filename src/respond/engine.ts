import { createHash, randomUUID } from 'node:crypto';
import { WardenError } from '../model/errors.js';
import { ACTIONS } from './actions/index.js';
import { type CallLimits, DEFAULT_LIMITS } from './http.js';
import { type Playbook, whyNot } from './playbook.js';
import type { ActionName, Incident, PlannedCall, ResponseLedger, StepRecord, Subject } from './types.js';

/*
 * Planning and applying a playbook for one alert. The plan is pure over the incident (what the store
 * gathered) and the ledger's step states; applying runs each step once: recorded as running before
 * the provider is called and done after, each time with an audit entry, so a crash between steps
 * resumes where it stopped and `apply` again changes nothing.
 */

/** One step of a plan: an action on one subject, the exact calls, and where it stands. */
export interface PlannedStep {
  id: string;
  position: number;
  action: ActionName;
  with: Record<string, unknown>;
  /** `ready` to run, `done` by an earlier apply, `running`/`failed` earlier (apply retries them), or no subject. */
  status: 'ready' | 'done' | 'running' | 'failed' | 'subject-not-found';
  subject?: Subject | undefined;
  reason?: string | undefined;
  calls: PlannedCall[];
  previous?: StepRecord | undefined;
}

export interface ResponsePlan {
  alertUid: string;
  /** The first playbook whose `when` holds, in file order; undefined when none does. */
  playbook?: { id: string; approval: 'required' | 'automatic'; automaticForbidden?: string | undefined } | undefined;
  /** Every playbook and why it did not match (the matched one has no reason). */
  considered: Array<{ id: string; matched: boolean; reason?: string | undefined }>;
  steps: PlannedStep[];
}

export interface PlanOptions {
  ledger: Pick<ResponseLedger, 'getStep'>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Whether the policy manifest forbids automatic response for an identity: such an identity's
   * automatic playbooks wait for approval like any other.
   */
  automaticForbidden?: ((identityId: string) => string | undefined) | undefined;
}

/** A step's stable id: the same alert, playbook, position, action and subject give the same id. */
export function stepId(alertUid: string, playbook: string, position: number, action: string, subject: string): string {
  return createHash('sha256')
    .update(JSON.stringify([alertUid, playbook, position, action, subject]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The plan for an alert: the matching playbook's steps with their subjects and exact calls. Makes no
 * provider call.
 * @example const plan = await planResponse(incident, playbooks, { ledger, env: process.env, cwd });
 */
export async function planResponse(
  incident: Incident,
  playbooks: readonly Playbook[],
  options: PlanOptions,
): Promise<ResponsePlan> {
  const uid = incident.alert.uid;
  const considered: ResponsePlan['considered'] = [];
  let chosen: Playbook | undefined;
  for (const p of playbooks) {
    const reason = chosen ? 'an earlier playbook matched' : whyNot(p, incident);
    considered.push({ id: p.id, matched: reason === undefined, ...(reason ? { reason } : {}) });
    if (reason === undefined) chosen = p;
  }
  if (chosen === undefined) return { alertUid: uid, considered, steps: [] };
  const forbidden = chosen.approval === 'automatic' ? options.automaticForbidden?.(incident.alert.identity.id) : undefined;
  const steps: PlannedStep[] = [];
  for (const [position, step] of chosen.steps.entries()) {
    const action = ACTIONS.get(step.action as ActionName);
    if (action === undefined)
      throw new WardenError('WARDEN_PLAYBOOK_INVALID', `playbook ${chosen.id} names unknown action ${step.action}`);
    const found = await action.subjects(incident, step.with, { env: options.env, cwd: options.cwd });
    if ('missing' in found) {
      steps.push({
        id: stepId(uid, chosen.id, position, action.name, '-'),
        position,
        action: action.name,
        with: step.with,
        status: 'subject-not-found',
        reason: found.missing,
        calls: [],
      });
      continue;
    }
    for (const subject of found) {
      const id = stepId(uid, chosen.id, position, action.name, subject.key);
      const previous = await options.ledger.getStep(id);
      steps.push({
        id,
        position,
        action: action.name,
        with: step.with,
        status: previous?.status ?? 'ready',
        subject,
        calls: action.calls(subject, step.with, options.env),
        ...(previous ? { previous } : {}),
      });
    }
  }
  return {
    alertUid: uid,
    playbook: {
      id: chosen.id,
      approval: forbidden ? 'required' : chosen.approval,
      ...(forbidden ? { automaticForbidden: forbidden } : {}),
    },
    considered,
    steps,
  };
}

/** What applying did to one step. */
export interface AppliedStep {
  id: string;
  position: number;
  action: ActionName;
  subject?: string | undefined;
  outcome: 'done' | 'unchanged' | 'already-done' | 'failed' | 'subject-not-found';
  answer?: Record<string, unknown> | undefined;
  error?: string | undefined;
  undo?: PlannedCall[] | undefined;
  output?: unknown;
}

export interface ApplyOptions {
  ledger: ResponseLedger;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Who approved (`cli:alice`, `token:oncall`), or `automatic`. */
  actor: string;
  /** A person approved this plan; without it only an automatic playbook runs. */
  approved: boolean;
  limits?: Partial<CallLimits> | undefined;
  now?: () => number;
}

/** The plan's steps as the audit trail and JSON output show them: subjects without secrets. */
export function publicSubject(s: Subject | undefined): Record<string, unknown> | undefined {
  if (s === undefined) return undefined;
  return {
    key: s.key,
    fields: s.fields,
    ...(s.secret ? { secret: { preview: s.secret.preview, sha256: s.secret.fingerprint } } : {}),
  };
}

/** Removes a secret from provider text that might echo it back. */
function scrub(text: string, s: Subject | undefined): string {
  return s?.secret ? text.split(s.secret.value).join(s.secret.preview) : text;
}

/**
 * Runs a plan's steps in order. Refuses (WARDEN_APPROVAL_REQUIRED) a playbook that needs approval
 * when `approved` is false. A step done before is skipped; a step left running by a crash, or failed,
 * runs again (every action is idempotent). A failed step does not stop the others.
 * @example const applied = await applyResponse(incident, plan, { ledger, env, cwd, actor: 'cli:alice', approved: true });
 */
export async function applyResponse(incident: Incident, plan: ResponsePlan, options: ApplyOptions): Promise<AppliedStep[]> {
  const now = options.now ?? Date.now;
  const pb = plan.playbook;
  if (pb === undefined) throw new WardenError('WARDEN_NOT_FOUND', `no playbook matches alert ${plan.alertUid}`);
  if (!options.approved && pb.approval !== 'automatic')
    throw new WardenError(
      'WARDEN_APPROVAL_REQUIRED',
      `playbook ${pb.id} needs approval${pb.automaticForbidden ? ` (${pb.automaticForbidden})` : ''}: review \`warden respond plan ${plan.alertUid}\`, then apply with --approve`,
    );
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const target = plan.alertUid;
  const ref = randomUUID();
  const stepNames = plan.steps.map((s) => s.action);
  const out: AppliedStep[] = [];
  for (const step of plan.steps) {
    const base = {
      id: step.id,
      position: step.position,
      action: step.action,
      ...(step.subject ? { subject: step.subject.key } : {}),
    };
    const auditBase = { actor: options.actor, action: step.action, target, ref };
    if (step.subject === undefined) {
      await options.ledger.audit({
        ...auditBase,
        at: now(),
        event: 'response.step.skipped',
        outcome: 'subject-not-found',
        detail: { playbook: pb.id, step: step.id, reason: step.reason },
      });
      out.push({ ...base, outcome: 'subject-not-found', error: step.reason });
      continue;
    }
    const subject = step.subject;
    const previous = await options.ledger.getStep(step.id);
    if (previous?.status === 'done') {
      await options.ledger.audit({
        ...auditBase,
        at: now(),
        event: 'response.step.skipped',
        outcome: 'already-done',
        detail: { playbook: pb.id, step: step.id, subject: subject.key, doneAt: previous.updatedAt },
      });
      out.push({ ...base, outcome: 'already-done', ...(previous.undo ? { undo: previous.undo } : {}) });
      continue;
    }
    const record: StepRecord = {
      id: step.id,
      alertUid: plan.alertUid,
      playbookId: pb.id,
      position: step.position,
      action: step.action,
      subject: subject.key,
      status: 'running',
      approvedBy: options.actor,
      updatedAt: now(),
    };
    await options.ledger.putStep(record);
    await options.ledger.audit({
      ...auditBase,
      at: record.updatedAt,
      event: 'response.step.before',
      outcome: 'running',
      detail: {
        playbook: pb.id,
        step: step.id,
        approval: pb.approval,
        subject: publicSubject(subject),
        calls: step.calls,
        resumed: previous?.status ?? null,
      },
    });
    const retries: Array<{ attempt: number; waitMs: number; error: string }> = [];
    try {
      const action = ACTIONS.get(step.action)!;
      const result = await action.run(subject, step.with, {
        env: options.env,
        cwd: options.cwd,
        limits,
        incident,
        plan: { playbook: pb.id, steps: stepNames },
        onRetry: (attempt, error, waitMs) =>
          retries.push({ attempt, waitMs: Math.round(waitMs), error: scrub(String((error as Error).message ?? error), subject) }),
      });
      if (subject.revokes !== undefined) await options.ledger.revoked(subject.revokes, now());
      await options.ledger.putStep({
        ...record,
        status: 'done',
        result: { outcome: result.outcome, answer: result.answer },
        undo: result.undo,
        updatedAt: now(),
      });
      await options.ledger.audit({
        ...auditBase,
        at: now(),
        event: 'response.step.after',
        outcome: result.outcome,
        detail: {
          playbook: pb.id,
          step: step.id,
          subject: subject.key,
          answer: result.answer,
          undo: result.undo ?? null,
          retries,
          ...(step.action === 'review.related-identities' ? { review: result.output } : {}),
        },
      });
      out.push({
        ...base,
        outcome: result.outcome,
        answer: result.answer,
        ...(result.undo ? { undo: result.undo } : {}),
        ...(result.output !== undefined ? { output: result.output } : {}),
      });
    } catch (error) {
      if (error instanceof WardenError && error.code === 'WARDEN_USAGE') {
        await options.ledger.putStep({ ...record, status: 'failed', error: error.message, updatedAt: now() });
        throw error;
      }
      const message = scrub((error as Error).message ?? String(error), subject);
      await options.ledger.putStep({ ...record, status: 'failed', error: message, updatedAt: now() });
      await options.ledger.audit({
        ...auditBase,
        at: now(),
        event: 'response.step.after',
        outcome: 'failed',
        detail: { playbook: pb.id, step: step.id, subject: subject.key, error: message, retries },
      });
      out.push({ ...base, outcome: 'failed', error: message });
    }
  }
  return out;
}
