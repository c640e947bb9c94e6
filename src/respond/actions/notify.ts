import { requestJson } from '../http.js';
import type { Action, ActionRuntime, Incident } from '../types.js';
import { call, missing, opt } from './common.js';

/*
 * A Slack-compatible incoming-webhook message (https://api.slack.com/messaging/webhooks): `text` for
 * clients and fallbacks, `blocks` for layout. Mattermost, Rocket.Chat and Teams workflows take the
 * same shape. Alert text is attacker-influenced: it is sent as plain text fields, never as markup links.
 */

/** The message for an incident: what happened, to whom, and what the playbook does. */
export function slackPayload(incident: Incident, plan: ActionRuntime['plan']): { text: string; blocks: unknown[] } {
  const a = incident.alert;
  const who = a.identity.name ?? a.identity.id;
  const text = `Warden: ${a.severity.toUpperCase()} ${a.title} for ${who} (alert ${a.uid})`;
  const owners = incident.owners.length > 0 ? incident.owners.join(', ') : 'no owner on record';
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${a.severity.toUpperCase()}: ${a.title}`.slice(0, 150) } },
      { type: 'section', text: { type: 'plain_text', text: a.message.slice(0, 2900) } },
      {
        type: 'section',
        fields: [
          { type: 'plain_text', text: `Identity: ${who}`.slice(0, 2000) },
          { type: 'plain_text', text: `Detection: ${a.detectionId}` },
          { type: 'plain_text', text: `Owners: ${owners}`.slice(0, 2000) },
          { type: 'plain_text', text: `Exposure: ${incident.exposure ?? 'unknown'}` },
        ],
      },
      {
        type: 'section',
        text: { type: 'plain_text', text: `Playbook ${plan.playbook}: ${plan.steps.join(', ')}`.slice(0, 2900) },
      },
      { type: 'context', elements: [{ type: 'plain_text', text: `warden respond log · alert ${a.uid}` }] },
    ],
  };
}

function url(options: Record<string, unknown>, env: ActionRuntime['env']): string | undefined {
  return opt(options, 'url') ?? env.WARDEN_WEBHOOK_URL;
}

/** Posts the incident to a chat webhook. Sent once per step: `apply` again does not repeat it. */
export const notifyWebhook: Action = {
  name: 'notify.webhook',
  describe: 'post the incident to a Slack-compatible webhook',
  async subjects(incident, options, rt) {
    const target = url(options, rt.env);
    if (target === undefined) return missing('no webhook: give with.url or set WARDEN_WEBHOOK_URL');
    let parsed: URL;
    try {
      parsed = new URL(target);
    } catch {
      return missing(`with.url is not a URL: ${target}`);
    }
    // The webhook URL is itself a secret (anyone holding it can post): shown by origin only.
    return [{ key: `webhook ${parsed.origin} for ${incident.alert.uid}`, fields: { origin: parsed.origin } }];
  },
  calls: (s) => [
    { method: 'POST', url: `${s.fields.origin}/…`, body: { text: '…', blocks: '…' }, note: 'Slack-compatible message' },
  ],
  async run(_s, options, rt) {
    const payload = slackPayload(rt.incident, rt.plan);
    const r = await call(rt, (signal) => requestJson(url(options, rt.env)!, { method: 'POST', body: payload }, signal));
    return { outcome: 'done', answer: { status: r.status }, output: { text: payload.text } };
  },
};

/** A review task from the identity graph; no provider call, so nothing to undo. */
export const reviewRelatedIdentities: Action = {
  name: 'review.related-identities',
  describe: 'a review task: every identity, credential and permission the graph links to the subject, with owners',
  async subjects(incident) {
    return [
      {
        key: `review of ${incident.credentialNode ?? incident.identityNode}`,
        fields: { start: incident.credentialNode ?? incident.identityNode },
      },
    ];
  },
  calls: () => [],
  async run(_s, _o, rt) {
    const task = await rt.incident.review();
    return {
      outcome: 'done',
      answer: { identities: task.identities.length, credentials: task.credentials.length, permissions: task.permissions.length },
      output: task,
    };
  },
};
