import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import { termSafe } from '../report/terminal.js';
import type { AppliedStep, ResponsePlan } from '../respond/index.js';
import type { Store } from '../store/index.js';
import type { CliIO } from './io.js';

interface RespondFlags {
  playbooks?: string;
  store?: string;
  format?: 'table' | 'json';
  approve?: boolean;
  actor?: string;
  timeout?: string;
  alert?: string;
  policy?: string;
}

const DEFAULT_PLAYBOOKS = 'warden.playbooks.yaml';

async function withStore<T>(flags: RespondFlags, io: CliIO, fn: (store: Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('../store/index.js');
  const store = await openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Plans a response for an alert from the playbooks file and, when present, the policy manifest. */
async function plan(store: Store, uid: string, flags: RespondFlags, io: CliIO) {
  const { prepareResponse } = await import('../store/index.js');
  const { DEFAULT_POLICY_FILE } = await import('../policy/index.js');
  const policyFile = flags.policy ?? (existsSync(resolve(io.cwd, DEFAULT_POLICY_FILE)) ? DEFAULT_POLICY_FILE : undefined);
  return prepareResponse(store, uid, {
    playbooksFile: resolve(io.cwd, flags.playbooks ?? DEFAULT_PLAYBOOKS),
    policyFile: policyFile === undefined ? undefined : resolve(io.cwd, policyFile),
    env: io.env,
    cwd: io.cwd,
  });
}

function noPlaybook(p: ResponsePlan, io: CliIO): void {
  io.stderr(`warden: no playbook matches alert ${p.alertUid}\n`);
  for (const c of p.considered) io.stderr(`  ${termSafe(c.id, 60)}: ${termSafe(c.reason, 200)}\n`);
  if (p.considered.length === 0) io.stderr('  (the playbooks file has none)\n');
}

function printPlan(p: ResponsePlan, io: CliIO): void {
  const pb = p.playbook!;
  io.stdout(
    `Alert ${p.alertUid}: playbook ${termSafe(pb.id, 80)} (approval ${pb.approval}${pb.automaticForbidden ? `: ${termSafe(pb.automaticForbidden)}` : ''})\n`,
  );
  for (const s of p.steps) {
    io.stdout(`\n${s.position + 1}. ${s.action}  [${s.status}]\n`);
    if (s.subject) io.stdout(`   subject: ${termSafe(s.subject.key, 160)}\n`);
    if (s.reason) io.stdout(`   subject not found: ${termSafe(s.reason, 300)}\n`);
    for (const c of s.calls)
      io.stdout(
        `   ${c.method} ${termSafe(c.url, 200)}${c.body !== undefined ? ` ${termSafe(JSON.stringify(c.body), 300)}` : ''}${c.note ? `  (${termSafe(c.note, 120)})` : ''}\n`,
      );
    if (s.calls.length === 0 && !s.reason) io.stdout('   no provider call (reads the identity graph)\n');
  }
  io.stdout(`\nNothing was changed. To run it: warden respond apply ${p.alertUid} --approve\n`);
}

function printApplied(steps: AppliedStep[], io: CliIO): void {
  for (const s of steps) {
    io.stdout(`${s.position + 1}. ${s.action.padEnd(28)} ${s.outcome.padEnd(17)} ${termSafe(s.subject ?? '', 100)}\n`);
    if (s.error) io.stdout(`   ${termSafe(s.error, 300)}\n`);
    if (s.undo)
      for (const u of s.undo)
        io.stdout(`   undo: ${u.method} ${termSafe(u.url, 160)} ${termSafe(JSON.stringify(u.body ?? ''), 200)}\n`);
    const review = s.output as { identities?: unknown[]; credentials?: unknown[]; permissions?: unknown[] } | undefined;
    if (s.action === 'review.related-identities' && review?.identities)
      io.stdout(
        `   review: ${review.identities.length} identit(ies), ${review.credentials?.length ?? 0} credential(s), ${review.permissions?.length ?? 0} permission(s) (details: warden respond log --format json)\n`,
      );
  }
}

/** The person at the terminal, for the audit trail: `--actor`, else the login name. */
function actorOf(flags: RespondFlags, io: CliIO): string {
  return `cli:${flags.actor ?? io.env.USER ?? io.env.LOGNAME ?? 'unknown'}`;
}

function positiveMs(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new WardenError('WARDEN_USAGE', `${name} takes milliseconds (a whole number ≥ 1), not "${value}"`);
  return n;
}

/** `warden respond plan|apply|log`: response playbooks for stored alerts (CONTRACTS.md §5). */
export function registerRespond(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const respond = program
    .command('respond')
    .description('respond to an alert with a playbook: revoke, isolate, notify, review (plan, then apply with approval)');
  const common = (c: Command) =>
    c
      .option('--playbooks <file>', `playbooks file (default: ./${DEFAULT_PLAYBOOKS})`)
      .option('--store <path|url>', 'state store (default: WARDEN_DATABASE_URL, else .warden/warden.db)')
      .option(
        '--policy <file>',
        'policy manifest whose identities may forbid automatic response (default: ./warden.policy.yaml when present)',
      )
      .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']));

  common(respond.command('plan <alert-uid>').description('show the exact calls the matching playbook would make; makes none'))
    .addHelpText('after', '\nExit codes: 0 a plan, 1 no playbook matches the alert, 2 error (unknown alert, invalid playbooks).')
    .action(async (uid: string, flags: RespondFlags) => {
      const { appendAudit, planDocument } = await import('../store/index.js');
      await withStore(flags, io, async (store) => {
        const { plan: p } = await plan(store, uid, flags, io);
        // Who looked at which plan is part of the trail, as through the API.
        await appendAudit(store, {
          actor: actorOf(flags, io),
          action: 'response.plan',
          target: p.alertUid,
          outcome: p.playbook ? 'planned' : 'no-playbook',
          detail: { playbook: p.playbook?.id ?? null, steps: p.steps.map((s) => ({ action: s.action, status: s.status })) },
        });
        if (p.playbook === undefined) {
          if (flags.format === 'json') io.stdout(`${JSON.stringify(planDocument(p), null, 2)}\n`);
          noPlaybook(p, io);
          setExit(1);
          return;
        }
        if ((flags.format ?? (io.stdoutIsTTY ? 'table' : 'json')) === 'json')
          io.stdout(`${JSON.stringify(planDocument(p), null, 2)}\n`);
        else printPlan(p, io);
        setExit(0);
      });
    });

  common(respond.command('apply <alert-uid>').description('run the matching playbook; steps done before are not repeated'))
    .option('--approve', 'approve the plan (`warden respond plan` shows it); required unless the playbook is automatic')
    .option('--actor <name>', 'who approves, for the audit trail (default: the login name)')
    .option('--timeout <ms>', 'time limit of each provider call attempt', '10000')
    .addHelpText(
      'after',
      `
Examples:
  $ warden respond plan 3a519ee0e6d1e396a6f8378e029dc738
  $ warden respond apply 3a519ee0e6d1e396a6f8378e029dc738 --approve
Providers come from the standard variables: VAULT_ADDR/VAULT_TOKEN, the AWS SDK chain and
AWS_ENDPOINT_URL_IAM, GITHUB_API_URL/GITHUB_TOKEN, KUBECONFIG.
Exit codes: 0 every step done (or already), 1 a step failed or had no subject, or no playbook matched, 2 error.`,
    )
    .action(async (uid: string, flags: RespondFlags) => {
      const { applyResponse } = await import('../respond/index.js');
      const timeoutMs = positiveMs(flags.timeout, '--timeout');
      await withStore(flags, io, async (store) => {
        const { incident, ledger, plan: p } = await plan(store, uid, flags, io);
        if (p.playbook === undefined) {
          noPlaybook(p, io);
          setExit(1);
          return;
        }
        const actor = actorOf(flags, io);
        const steps = await applyResponse(incident, p, {
          ledger,
          env: io.env,
          cwd: io.cwd,
          actor: flags.approve ? actor : 'automatic',
          approved: flags.approve === true,
          ...(timeoutMs ? { limits: { timeoutMs } } : {}),
        });
        if ((flags.format ?? (io.stdoutIsTTY ? 'table' : 'json')) === 'json')
          io.stdout(`${JSON.stringify({ alert: uid, playbook: p.playbook.id, steps }, null, 2)}\n`);
        else printApplied(steps, io);
        setExit(steps.some((s) => s.outcome === 'failed' || s.outcome === 'subject-not-found') ? 1 : 0);
      });
    });

  respond
    .command('log')
    .description('the response audit trail: who approved what, when, and what the provider answered')
    .option('--store <path|url>', 'state store (default: WARDEN_DATABASE_URL, else .warden/warden.db)')
    .option('--alert <uid>', 'only this alert')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']))
    .action(async (flags: RespondFlags) => {
      const { listResponseAudit } = await import('../store/index.js');
      await withStore(flags, io, async (store) => {
        const entries = await listResponseAudit(store, { alertUid: flags.alert });
        if ((flags.format ?? 'table') === 'json') {
          for (const e of entries) io.stdout(`${JSON.stringify(e)}\n`);
        } else {
          for (const e of entries) {
            const d = (e.detail ?? {}) as { action?: unknown; subject?: unknown; error?: unknown; reason?: unknown };
            const subject = typeof d.subject === 'string' ? d.subject : ((d.subject as { key?: string } | undefined)?.key ?? '');
            const why = d.error ?? d.reason;
            io.stdout(
              `${e.time}  ${termSafe(e.actor, 30).padEnd(20)} ${e.action.padEnd(22)} ${termSafe(d.action, 40).padEnd(28)} ${e.outcome.padEnd(17)} ${termSafe(e.target, 50)} ${termSafe(subject, 100)}${why ? `  ${termSafe(why, 200)}` : ''}\n`,
            );
          }
          if (entries.length === 0) io.stderr('warden: the response audit trail is empty\n');
        }
        setExit(0);
      });
    });
}
