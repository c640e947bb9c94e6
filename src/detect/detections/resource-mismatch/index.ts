import type { Detection } from '../../detection.js';
import { resourceNamespace, serviceAccountNamespace } from '../../features.js';
import { Recent } from '../../state.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'resource-mismatch';

/** Azure operations that hand out an account's or a cluster's master credentials. */
const ACCOUNT_KEYS =
  /^azure:.*\/(?:listkeys|listaccountsas|listclusteradmincredential|listcredentials|listpublishingcredentials|publishxml|listconnectionstrings)\/action$|^azure:microsoft\.web\/sites\/config\/list\/action$/;

/**
 * 8. A workload identity touching resources outside its own namespace, environment or usual set.
 * Kubernetes service accounts reading secrets in another namespace (kube-system above all) fire
 * without a baseline unless the account is known to work across namespaces; other identities fire on
 * secret reads under a prefix they have never read, once their usual set is learned.
 */
/** Kubernetes namespaces whose resources the identity touched (its usual resources are in the shared core). */
export class ScopeSlice {
  namespaces = new Recent(64);
}

export const resourceMismatch: Detection<ScopeSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new ScopeSlice(),
  evaluate(e, ctx, mine) {
    if (!ctx.nonHuman || e.outcome === 'failure') return undefined;
    const s = ctx.identity;
    const home = serviceAccountNamespace(e.identity.id);
    const ns = resourceNamespace(e);
    const secretish = e.tags.includes('secret.read') || e.resource?.type === 'secrets';
    if (home !== undefined && ns !== undefined && ns !== home && secretish && !mine.namespaces.has(ns)) {
      // A controller that already works across many namespaces is cluster-scoped by design.
      const clusterWide = mine.namespaces.size >= 5;
      if (clusterWide && ns !== 'kube-system') return undefined;
      // Another team's namespace is news only once this account's own reach is known; kube-system always is.
      if (!ctx.warm && ns !== 'kube-system') return undefined;
      return {
        severity: ns === 'kube-system' ? 'critical' : 'high',
        message: `Service account ${e.identity.id} (${e.action}) reached secrets in namespace ${ns}, outside its own namespace ${home}.`,
        anomaly: {
          parameter: 'namespace',
          pattern: 'UNSEEN',
          observed: [ns],
          expected: [home, ...[...mine.namespaces.keys()].filter((x) => x !== home)].slice(0, 10),
        },
      };
    }
    // Master keys of a whole account or cluster (storage account keys, cluster admin kubeconfigs, web app
    // publishing credentials) reach every object behind them: the first read of each is news without history.
    if (
      e.tags.includes('secret.read') &&
      ACCOUNT_KEYS.test(e.action) &&
      ctx.resource !== undefined &&
      !s.resources.has(ctx.resource)
    ) {
      return {
        severity: 'high',
        message: `${e.identity.name ?? e.identity.id} read the account-level keys of ${e.resource?.id ?? ctx.resource} (${e.action}), which it has not read before.`,
        anomaly: {
          parameter: 'resource',
          pattern: 'UNSEEN',
          observed: [ctx.resource],
          expected: [...s.resources.keys()].slice(0, 10),
        },
      };
    }
    if (!ctx.warm || !e.tags.includes('secret.read') || ctx.resource === undefined) return undefined;
    // Inside its own namespace a service account's reach is its namespace: the check above covers it.
    if (home !== undefined && (ns === undefined || ns === home)) return undefined;
    if (s.resources.has(ctx.resource) || s.resources.size === 0 || s.resources.size > 40) return undefined;
    // A usual set needs days of history to be usual.
    if (s.activeDays.size < ctx.config.offHoursMinDays) return undefined;
    return {
      severity: 'medium',
      message: `${e.identity.name ?? e.identity.id} read secrets under ${ctx.resource}, outside the set it normally reads.`,
      anomaly: {
        parameter: 'resource',
        pattern: 'UNSEEN',
        observed: [ctx.resource],
        expected: [...s.resources.keys()].slice(0, 10),
      },
    };
  },
  learn(e, ctx, s) {
    const ns = resourceNamespace(e);
    if (ns !== undefined) s.namespaces.touch(ns, ctx.now);
  },
};
