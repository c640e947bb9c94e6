import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_POLICY_FILE } from '../../policy/index.js';
import { applyResponse } from '../../respond/index.js';
import { getMeta, planDocument, prepareResponse, setMeta } from '../../store/index.js';
import { queryable } from '../../store/store.js';
import { actorOf } from '../auth.js';
import type { ServerContext } from '../context.js';

/*
 * Response through the API (CONTRACTS.md §5): an analyst plans, an admin applies (the call is the
 * approval, recorded as `token:<name>`). The playbooks are `WARDEN_PLAYBOOKS`, else
 * warden.playbooks.yaml in the server's working directory, read on each call so an edit needs no
 * restart; the providers come from the server's environment. `warden serve` also runs automatic
 * playbooks as alerts arrive (a watcher of the alerts table, so it works with and without a bus),
 * unless WARDEN_AUTOMATIC_RESPONSE=off.
 */

function files(ctx: ServerContext): { playbooksFile: string; policyFile: string | undefined } {
  const cwd = ctx.config.cwd;
  const policy = ctx.config.policyFile ?? (existsSync(resolve(cwd, DEFAULT_POLICY_FILE)) ? DEFAULT_POLICY_FILE : undefined);
  return {
    playbooksFile: resolve(cwd, process.env.WARDEN_PLAYBOOKS ?? 'warden.playbooks.yaml'),
    policyFile: policy === undefined ? undefined : resolve(cwd, policy),
  };
}

const uidParam = { type: 'object', required: ['uid'], properties: { uid: { type: 'string', minLength: 1, maxLength: 200 } } };

/** POST /v1/alerts/{uid}/plan (analyst), POST /v1/alerts/{uid}/apply (admin); the automatic responder. */
export function registerRespond(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Params: { uid: string } }>(
    '/v1/alerts/:uid/plan',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'the response plan for an alert: the matching playbook, each step’s subject and exact calls; calls no provider',
        tags: ['respond'],
        params: uidParam,
      },
    },
    async (request) => {
      const { plan } = await prepareResponse(ctx.store, request.params.uid, {
        ...files(ctx),
        env: process.env,
        cwd: ctx.config.cwd,
      });
      await ctx.audit(request, {
        action: 'response.plan',
        target: plan.alertUid,
        outcome: plan.playbook ? 'planned' : 'no-playbook',
        detail: { playbook: plan.playbook?.id ?? null, steps: plan.steps.map((s) => ({ action: s.action, status: s.status })) },
      });
      return planDocument(plan);
    },
  );

  app.post<{ Params: { uid: string } }>(
    '/v1/alerts/:uid/apply',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'run the matching playbook for an alert (the caller approves); steps done before are not repeated',
        tags: ['respond'],
        params: uidParam,
      },
    },
    async (request) => {
      const { incident, ledger, plan } = await prepareResponse(ctx.store, request.params.uid, {
        ...files(ctx),
        env: process.env,
        cwd: ctx.config.cwd,
      });
      const steps = await applyResponse(incident, plan, {
        ledger,
        env: process.env,
        cwd: ctx.config.cwd,
        actor: actorOf(request),
        approved: true,
      });
      return { alert: plan.alertUid, playbook: plan.playbook?.id ?? null, steps };
    },
  );

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  app.addHook('onReady', async () => {
    // WARDEN_AUTOMATIC_RESPONSE=off keeps a server to planned, approved response only.
    if (process.env.WARDEN_AUTOMATIC_RESPONSE === 'off') return;
    const tick = () => {
      running = respondAutomatically(ctx).then(
        () => {},
        (error: unknown) => ctx.log?.error({ err: error }, 'automatic response failed'),
      );
      void running.then(() => {
        if (timer !== undefined) timer = setTimeout(tick, AUTO_INTERVAL_MS);
      });
    };
    timer = setTimeout(tick, AUTO_INTERVAL_MS);
  });
  app.addHook('onClose', async () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    await running;
  });
}

const AUTO_INTERVAL_MS = 1000;
const WATERMARK = 'respond.automatic.watermark';

/**
 * One pass of the automatic responder: every alert stored or updated since the last pass whose
 * matching playbook is `approval: automatic` (and not forbidden by the identity's manifest entry)
 * is applied as `automatic`. Alerts from before the first pass are left to people, and so are alerts
 * that arrive while there is no playbooks file (the mark moves past them). A pass with nothing new
 * writes nothing: it runs every second on the request thread, where a write waits for the store's
 * write lock behind the ingest pipeline's commits, and an idle server has no reason to write.
 */
export async function respondAutomatically(ctx: ServerContext): Promise<number> {
  const { playbooksFile, policyFile } = files(ctx);
  const now = Date.now();
  const since = (await getMeta(ctx.store, WATERMARK)) as number | undefined;
  if (since === undefined) {
    await setMeta(ctx.store, WATERMARK, now);
    return 0;
  }
  const rows = await queryable(ctx.store)
    .selectFrom('alerts')
    .select(['uid', 'updated_at'])
    .where('updated_at', '>', since)
    .orderBy('updated_at')
    .limit(200)
    .execute();
  if (rows.length === 0) return 0;
  if (!existsSync(playbooksFile)) {
    await setMeta(ctx.store, WATERMARK, now);
    return 0;
  }
  let applied = 0;
  let mark = since;
  for (const row of rows) {
    mark = Math.max(mark, Number(row.updated_at));
    try {
      const { incident, ledger, plan } = await prepareResponse(ctx.store, row.uid, {
        playbooksFile,
        policyFile,
        env: process.env,
        cwd: ctx.config.cwd,
      });
      // A later version of an alert already answered (count grew): nothing new to do, nothing to record.
      if (plan.playbook?.approval !== 'automatic' || plan.steps.every((s) => s.status === 'done')) continue;
      await applyResponse(incident, plan, { ledger, env: process.env, cwd: ctx.config.cwd, actor: 'automatic', approved: false });
      applied++;
    } catch (error) {
      // One alert's fault (a playbook it cannot run, a missing provider variable) must not stall the rest.
      ctx.log?.error({ err: error, alert: row.uid }, 'automatic response failed');
    }
  }
  if (mark !== since) await setMeta(ctx.store, WATERMARK, mark);
  return applied;
}
