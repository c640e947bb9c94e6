import { WardenError } from '../../model/errors.js';
import { ProviderError, requestJson } from '../http.js';
import type { Action, ActionRuntime, PlannedCall } from '../types.js';
import { alertCredentials, alertIdentities, base, call, missing } from './common.js';

/*
 * HashiCorp Vault over its HTTP API (https://developer.hashicorp.com/vault/api-docs): VAULT_ADDR and
 * VAULT_TOKEN, as the Vault CLI reads them; the token goes in X-Vault-Token.
 */

function addr(env: ActionRuntime['env']): string {
  return base(env.VAULT_ADDR ?? 'https://127.0.0.1:8200');
}

function headers(env: ActionRuntime['env']): Record<string, string> {
  const token = env.VAULT_TOKEN;
  if (!token) throw new WardenError('WARDEN_USAGE', 'VAULT_TOKEN is not set: Vault actions need a token allowed to revoke');
  const h: Record<string, string> = { 'x-vault-token': token };
  if (env.VAULT_NAMESPACE) h['x-vault-namespace'] = env.VAULT_NAMESPACE;
  return h;
}

/** Vault's 400 for something already gone ("invalid accessor", "invalid lease ID"): nothing left to revoke. */
function alreadyGone(error: unknown): boolean {
  return error instanceof ProviderError && error.status === 400 && /invalid (accessor|lease)/i.test(error.body);
}

const HMACED = /^hmac-sha256:/;

/** `auth/token/revoke-accessor`: revokes a token (and its children) by accessor. No undo: a revoked token is gone. */
export const vaultRevokeAccessor: Action = {
  name: 'vault.revoke-accessor',
  describe: 'revoke a Vault token by its accessor (POST /v1/auth/token/revoke-accessor)',
  async subjects(incident) {
    const creds = alertCredentials(incident).filter((c) => c.type === 'vault-accessor' || c.type === 'vault-token');
    if (creds.length === 0) return missing('the alert names no Vault token or accessor');
    const clear = creds.filter((c) => c.type === 'vault-accessor' && !HMACED.test(c.key));
    if (clear.length === 0)
      return missing(
        'the audit log holds the accessor only as an HMAC, which Vault cannot revoke by: use vault.disable-entity, or set hmac_accessor=false on the audit device',
      );
    return clear.map((c) => ({ key: `accessor ${c.key}`, fields: { accessor: c.key }, revokes: c.key }));
  },
  calls: (s, _o, env) => [
    { method: 'POST', url: `${addr(env)}/v1/auth/token/revoke-accessor`, body: { accessor: s.fields.accessor } },
  ],
  async run(s, _o, rt) {
    try {
      const r = await call(rt, (signal) =>
        requestJson(
          `${addr(rt.env)}/v1/auth/token/revoke-accessor`,
          { method: 'POST', headers: headers(rt.env), body: { accessor: s.fields.accessor } },
          signal,
        ),
      );
      return { outcome: 'done', answer: { status: r.status } };
    } catch (error) {
      if (alreadyGone(error))
        return { outcome: 'unchanged', answer: { status: 400, reason: 'accessor already invalid (revoked or expired)' } };
      throw error;
    }
  },
};

const LEASE = /^[\w.-]+(\/[\w.@-]+)+$/;

/** `sys/leases/revoke`: revokes a dynamic secret's lease (the database user, the cloud key it created). */
export const vaultRevokeLease: Action = {
  name: 'vault.revoke-lease',
  describe: 'revoke a Vault lease (PUT /v1/sys/leases/revoke)',
  async subjects(incident) {
    const leases = alertCredentials(incident).filter(
      (c) => c.type === 'vault-lease' || (LEASE.test(c.key) && !HMACED.test(c.key)),
    );
    if (leases.length === 0) return missing('the alert names no Vault lease id');
    return leases.map((c) => ({ key: `lease ${c.key}`, fields: { lease_id: c.key }, revokes: c.key }));
  },
  calls: (s, _o, env) => [{ method: 'PUT', url: `${addr(env)}/v1/sys/leases/revoke`, body: { lease_id: s.fields.lease_id } }],
  async run(s, _o, rt) {
    try {
      const r = await call(rt, (signal) =>
        requestJson(
          `${addr(rt.env)}/v1/sys/leases/revoke`,
          { method: 'PUT', headers: headers(rt.env), body: { lease_id: s.fields.lease_id } },
          signal,
        ),
      );
      return { outcome: 'done', answer: { status: r.status } };
    } catch (error) {
      if (alreadyGone(error))
        return { outcome: 'unchanged', answer: { status: 400, reason: 'lease already revoked or expired' } };
      throw error;
    }
  },
};

/** A Vault entity id: a UUID, as audit logs write `auth.entity_id` in clear. */
const ENTITY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function entityCall(env: ActionRuntime['env'], id: string, disabled: boolean): PlannedCall {
  return { method: 'POST', url: `${addr(env)}/v1/identity/entity/id/${encodeURIComponent(id)}`, body: { disabled } };
}

/**
 * `identity/entity/id/:id` with `disabled: true`: every token of the entity stops working, which is
 * what is left when the audit log holds tokens and accessors only as HMACs. Undone with `disabled: false`.
 */
export const vaultDisableEntity: Action = {
  name: 'vault.disable-entity',
  describe: 'disable a Vault identity entity (POST /v1/identity/entity/id/:id {disabled: true})',
  async subjects(incident) {
    const ids = alertIdentities(incident).filter((id) => ENTITY_ID.test(id));
    if (ids.length === 0) return missing('the alert names no Vault entity id (audit logs write it as auth.entity_id)');
    return ids.map((id) => ({
      key: `entity ${id}`,
      fields: { entity: id },
      ...(incident.alert.credential ? { revokes: incident.alert.credential.key } : {}),
    }));
  },
  calls: (s, _o, env) => [
    {
      method: 'GET',
      url: `${addr(env)}/v1/identity/entity/id/${encodeURIComponent(s.fields.entity!)}`,
      note: 'is it disabled already?',
    },
    entityCall(env, s.fields.entity!, true),
  ],
  async run(s, _o, rt) {
    const id = s.fields.entity!;
    const url = `${addr(rt.env)}/v1/identity/entity/id/${encodeURIComponent(id)}`;
    // Read first, so an entity already disabled is left alone. A token that may update but not read
    // the entity (or a read Vault refuses) still sends the update.
    let data: { disabled?: unknown; name?: unknown } | undefined;
    try {
      const read = await call(rt, (signal) => requestJson(url, { method: 'GET', headers: headers(rt.env) }, signal));
      data = (read.body as { data?: { disabled?: unknown; name?: unknown } } | null)?.data;
      if (data === undefined) throw new ProviderError(`Vault has no entity ${id}`, read.status);
    } catch (error) {
      // Only a client error: the update below gets Vault's own answer (an entity that does not exist fails there).
      if (!(error instanceof ProviderError && error.status !== undefined && error.status >= 400 && error.status < 500))
        throw error;
    }
    const undo = [entityCall(rt.env, id, false)];
    if (data?.disabled === true) return { outcome: 'unchanged', answer: { disabled: true }, undo };
    const r = await call(rt, (signal) =>
      requestJson(url, { method: 'POST', headers: headers(rt.env), body: { disabled: true } }, signal),
    );
    return { outcome: 'done', answer: { status: r.status, entity: String(data?.name ?? id), disabled: true }, undo };
  },
};
