import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { isObj, node, type Obj, relation, text, texts } from './common.js';

/*
 * GCP and Azure identities in Terraform, read from the parse the Terraform extractor already made:
 * - GCP service accounts `google_service_account` → identity `<account_id>@<project>.iam.gserviceaccount.com`
 *   (the e-mail Cloud Audit Logs name them by; `*` for a project the file does not give);
 * - IAM grants (`google_{project,folder,organization}_iam_{member,binding}`) → can-access
 *   `gcp:projects/<p>` (folders, organizations alike) with the role as action, admin for basic and
 *   IAM-administering roles; `google_service_account_iam_*` impersonation roles → assumes;
 * - Azure managed identities (`azurerm_user_assigned_identity`, `azure-mi:<name>`) and service principals
 *   (`azuread_service_principal`, `azure-sp:<address>`), and `azurerm_role_assignment` → can-access
 *   `azure:<scope>` with the role as action, admin for Owner, Contributor and User Access Administrator.
 */

const blocks = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? [v] : []);
const labelled = (v: unknown): [string, Obj][] =>
  isObj(v) ? Object.entries(v).flatMap(([name, inst]) => blocks(inst).map((b) => [name, b] as [string, Obj])) : [];
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const GCP_ADMIN = new Set([
  'roles/owner',
  'roles/editor',
  'roles/iam.securityAdmin',
  'roles/resourcemanager.projectIamAdmin',
  'roles/resourcemanager.organizationAdmin',
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountKeyAdmin',
]);
const IMPERSONATE = new Set([
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountUser',
  'roles/iam.workloadIdentityUser',
]);
const AZURE_ADMIN = /^(?:owner|contributor|user access administrator|role based access control administrator)$/i;

export const CLOUD_INVENTORY_RELEVANT =
  /\b(?:google_(?:project|folder|organization|service_account)_iam_\w+|google_service_account|azurerm_role_assignment|azurerm_user_assigned_identity|azuread_service_principal)\b/;

/** GCP and Azure identity relations of one parsed Terraform file. */
export function cloudRelations(path: string, body: string, hcl: Obj, lineOf: (offset: number) => number): InventoryRelation[] {
  const resource = isObj(hcl.resource) ? hcl.resource : {};
  const out: InventoryRelation[] = [];
  const lineAt = (type: string, name: string): number => {
    const m = new RegExp(`^[ \\t]*resource[ \\t]+"${escapeRe(type)}"[ \\t]+"${escapeRe(name)}"`, 'm').exec(body);
    return m ? lineOf(m.index) : 1;
  };

  // GCP service accounts by label, so references resolve.
  const gcpSa = new Map<string, InventoryNode>();
  for (const [name, b] of labelled(resource.google_service_account)) {
    const account = text(b.account_id) ?? name;
    const project = text(b.project);
    const id = `${account}@${project !== undefined && !project.includes('${') ? project : '*'}.iam.gserviceaccount.com`;
    gcpSa.set(name, node('identity', id, text(b.display_name) ?? account, { provider: 'gcp', type: 'service-account' }));
  }
  const member = (m: string): InventoryNode | undefined => {
    const ref = /google_service_account\.([\w-]+)\.(?:email|member|name|id)/.exec(m);
    if (ref) return gcpSa.get(ref[1]!);
    const sa = /^serviceAccount:([^$]+@[^$]+)$/.exec(m);
    if (sa) return node('identity', sa[1]!.toLowerCase(), undefined, { provider: 'gcp', type: 'service-account' });
    if (/^(?:user|group|domain):/.test(m) || m === 'allUsers' || m === 'allAuthenticatedUsers' || m.startsWith('principal')) {
      return node('identity', m, undefined, { provider: 'gcp' });
    }
    return undefined;
  };
  for (const level of ['project', 'folder', 'organization'] as const) {
    const field = level === 'organization' ? 'org_id' : level;
    for (const kind of ['member', 'binding'] as const) {
      const type = `google_${level}_iam_${kind}`;
      for (const [name, b] of labelled(resource[type])) {
        const role = text(b.role);
        if (role === undefined) continue;
        const scope = text(b[field]) ?? '*';
        const target = node(
          'resource',
          `gcp:${level === 'project' ? 'projects' : level === 'folder' ? 'folders' : 'organizations'}/${scope.replace(/^(?:folders|organizations)\//, '')}`,
        );
        for (const m of kind === 'member' ? texts(b.member) : texts(b.members)) {
          const who = member(m);
          if (who === undefined) continue;
          out.push(
            relation('can-access', who, target, path, lineAt(type, name), { actions: [role], admin: GCP_ADMIN.has(role) }),
          );
        }
      }
    }
  }
  for (const kind of ['member', 'binding'] as const) {
    const type = `google_service_account_iam_${kind}`;
    for (const [name, b] of labelled(resource[type])) {
      const role = text(b.role);
      const targetRef = text(b.service_account_id) ?? '';
      const ref = /google_service_account\.([\w-]+)\./.exec(targetRef);
      const target = ref
        ? gcpSa.get(ref[1]!)
        : /serviceAccounts\/([^/]+@[^/]+)$/.exec(targetRef)
          ? node('identity', /serviceAccounts\/([^/]+@[^/]+)$/.exec(targetRef)![1]!.toLowerCase())
          : undefined;
      if (role === undefined || target === undefined) continue;
      for (const m of kind === 'member' ? texts(b.member) : texts(b.members)) {
        const who = member(m);
        if (who === undefined) continue;
        out.push(
          IMPERSONATE.has(role)
            ? relation('assumes', who, target, path, lineAt(type, name), { via: role })
            : relation('can-access', who, node('resource', `gcp-sa:${target.id}`), path, lineAt(type, name), { actions: [role] }),
        );
      }
    }
  }

  // Azure: managed identities and service principals, then their role assignments.
  const azure = new Map<string, InventoryNode>();
  for (const [name, b] of labelled(resource.azurerm_user_assigned_identity)) {
    const id = text(b.name) ?? name;
    azure.set(
      `azurerm_user_assigned_identity.${name}`,
      node('identity', `azure-mi:${id}`, id, { provider: 'azure', type: 'managed-identity' }),
    );
  }
  for (const [name] of labelled(resource.azuread_service_principal)) {
    azure.set(
      `azuread_service_principal.${name}`,
      node('identity', `azure-sp:${name}`, name, { provider: 'azure', type: 'service-principal' }),
    );
  }
  for (const [name, b] of labelled(resource.azurerm_role_assignment)) {
    const principal = text(b.principal_id) ?? '';
    const ref = /((?:azurerm_user_assigned_identity|azuread_service_principal)\.[\w-]+)\./.exec(principal);
    const who = ref ? azure.get(ref[1]!) : undefined;
    if (who === undefined) continue;
    const role = text(b.role_definition_name) ?? text(b.role_definition_id)?.split('/').pop() ?? 'role';
    const scope = text(b.scope) ?? '*';
    out.push(
      relation('can-access', who, node('resource', `azure:${scope}`), path, lineAt('azurerm_role_assignment', name), {
        actions: [role],
        admin: AZURE_ADMIN.test(role),
      }),
    );
  }
  return out;
}
