import type { Action, ActionName } from '../types.js';
import { awsDeactivateAccessKey, awsDeleteAccessKey, awsDetachPolicy } from './aws.js';
import { githubRevokeCredential } from './github.js';
import { k8sDeleteTokenSecret, k8sDenyAllNetworkPolicy, k8sScaleToZero } from './k8s.js';
import { notifyWebhook, reviewRelatedIdentities } from './notify.js';
import { vaultDisableEntity, vaultRevokeAccessor, vaultRevokeLease } from './vault.js';

/** Every action by name; nothing registers itself on import. */
export const ACTIONS: ReadonlyMap<ActionName, Action> = new Map(
  [
    vaultRevokeAccessor,
    vaultRevokeLease,
    vaultDisableEntity,
    awsDeactivateAccessKey,
    awsDeleteAccessKey,
    awsDetachPolicy,
    githubRevokeCredential,
    k8sDeleteTokenSecret,
    k8sScaleToZero,
    k8sDenyAllNetworkPolicy,
    notifyWebhook,
    reviewRelatedIdentities,
  ].map((a) => [a.name, a]),
);
