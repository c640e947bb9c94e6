import { z } from 'zod';

/*
 * Inventory: what identity configuration declares, as relations between named things. `warden scan`
 * reads it from IaC, Kubernetes manifests, CI workflows and Vault policies (src/scan/inventory) and
 * puts it beside the findings in its JSON report; `warden import` turns it into identity-graph edges.
 *
 * Node ids follow the runtime logs, so build time and run time meet on the same node:
 * - identity: the id the logs use. Kubernetes service accounts `system:serviceaccount:<ns>:<name>`;
 *   AWS roles and users their ARN, `arn:aws:iam::*:role/<name>` when the account is not in the file
 *   (the graph resolves `*` against the roles the logs name); GitHub Actions OIDC subjects
 *   `github-actions:repo:<owner>/<repo>` (the `sub` patterns, refs included, kept in props); Vault policies are
 *   granted to identities through `policy` nodes.
 * - workload: `k8s:<ns>/<kind>/<name>`, `github-workflow:<path>`, `terraform:<resource address>`.
 * - resource: AWS ARNs or patterns as written (`*`, `arn:aws:s3:::bucket/*`), `k8s:<ns|*>/<resource>`,
 *   `vault:<path>`.
 * - owner: the owner/team named by tags or labels, lower-cased.
 * - policy: `aws-policy:<name>`, `k8s-role:<ns|*>/<name>`, `vault-policy:<name>`.
 * - credential: where it is declared, `terraform:<address>`, `cloudformation:<logical id>`,
 *   `k8s:<ns>/secret/<name>`, `github-workflow:<path>#<job>`; never a secret value.
 */

export const INVENTORY_NODE_KINDS = ['identity', 'workload', 'resource', 'owner', 'policy', 'credential'] as const;
export const INVENTORY_RELATION_KINDS = [
  /** workload → identity: the workload runs with the identity's credentials. */
  'runs-as',
  /** identity|policy → resource: props.actions (as written, wildcards kept), props.admin when admin-equivalent. */
  'can-access',
  /** identity → identity: the first may assume (become) the second (trust policy, OIDC federation). */
  'assumes',
  /** identity|workload → owner. */
  'owned-by',
  /** identity → policy: the policy's grants are the identity's (attachments, role bindings, token policies). */
  'has-policy',
  /**
   * identity → credential: a credential the file creates or bounds for the identity. The credential
   * node's props: `type` (aws-access-key, aws-role-session, vault-token, k8s-token, ci-static-cloud-key),
   * `static` (a long-lived key or token that never expires by itself), `lifetimeSeconds` when declared.
   */
  'has-credential',
] as const;

export const InventoryNodeSchema = z.object({
  kind: z.enum(INVENTORY_NODE_KINDS),
  id: z.string().min(1),
  label: z.string().optional(),
  props: z.record(z.string(), z.unknown()).optional(),
});
export type InventoryNode = z.infer<typeof InventoryNodeSchema>;

export const InventoryRelationSchema = z.object({
  kind: z.enum(INVENTORY_RELATION_KINDS),
  src: InventoryNodeSchema,
  dst: InventoryNodeSchema,
  props: z.record(z.string(), z.unknown()).optional(),
  /** Where the relation is declared: path relative to the scanned root and 1-based line. */
  path: z.string(),
  line: z.number().int().positive(),
});
export type InventoryRelation = z.infer<typeof InventoryRelationSchema>;
export type InventoryRelationKind = (typeof INVENTORY_RELATION_KINDS)[number];
