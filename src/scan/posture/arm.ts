/**
 * Azure Resource Manager templates (JSON with a `deploymentTemplate.json#` schema): role assignments of
 * Owner, Contributor, User Access Administrator or RBAC Administrator deployed at subscription or
 * management-group scope to a service principal or managed identity, and federated identity
 * credentials with broad subjects. The same rules as the Terraform checks.
 * https://learn.microsoft.com/azure/templates/microsoft.authorization/roleassignments
 */
import { AZURE_PRIVILEGED, broadSubject, CLOUD_RULES } from './cloud-identity.js';
import type { PostureAnalyzer, PostureContext } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_BYTES = 4 * 1024 * 1024;

/** Deployment scope of the template from its schema: subscription and management group templates deploy there. */
function templateScope(schema: string): string | undefined {
  if (/subscriptionDeploymentTemplate/i.test(schema)) return 'subscription';
  if (/managementGroupDeploymentTemplate/i.test(schema)) return 'management group';
  if (/tenantDeploymentTemplate/i.test(schema)) return 'tenant root';
  return undefined;
}

/** An explicit `scope` of a role assignment that is a subscription or management group. */
function explicitScope(scope: unknown): string | undefined {
  if (typeof scope !== 'string') return undefined;
  if (/^\[?\s*subscription\(\)\.id\s*\]?$/i.test(scope) || /^\/subscriptions\/[^/]+\/?$/i.test(scope)) return 'subscription';
  if (/managementGroups\/[^/]+\/?$|managementGroup\(\)/i.test(scope)) return 'management group';
  return undefined;
}

function visit(ctx: PostureContext, resources: unknown, base: string | undefined, depth: number): void {
  if (!Array.isArray(resources) || depth > 6) return;
  for (const r of resources.slice(0, 2000)) {
    if (!isObj(r)) continue;
    const type = typeof r.type === 'string' ? r.type.toLowerCase() : '';
    const props = isObj(r.properties) ? r.properties : {};
    if (type === 'microsoft.authorization/roleassignments') {
      const def = typeof props.roleDefinitionId === 'string' ? props.roleDefinitionId : '';
      const guid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(def)?.[1]?.toLowerCase();
      const role = guid === undefined ? undefined : AZURE_PRIVILEGED[guid];
      const level = explicitScope(r.scope) ?? (r.scope === undefined ? base : undefined);
      const principalType = typeof props.principalType === 'string' ? props.principalType : '';
      if (role !== undefined && level !== undefined && !/^(?:User|Group)$/i.test(principalType)) {
        const name = typeof r.name === 'string' ? r.name : 'roleAssignment';
        ctx.report({
          ruleId: CLOUD_RULES.azureRole,
          line: ctx.findLine(guid!),
          evidence: `roleAssignments ${name}: ${role} at ${level} scope`,
          message: `The template assigns ${role} over the whole ${level} to ${principalType || 'a principal that is not a person or group'}`,
        });
      }
    }
    if (type === 'federatedidentitycredentials' || type.endsWith('/federatedidentitycredentials')) {
      const subject = typeof props.subject === 'string' ? props.subject : '';
      const issuer = typeof props.issuer === 'string' ? props.issuer : '';
      const why = broadSubject(issuer, subject);
      if (why !== undefined) {
        ctx.report({
          ruleId: CLOUD_RULES.azureFederated,
          line: ctx.findLine(JSON.stringify(subject)),
          evidence: `federatedIdentityCredentials: subject ${subject}`,
          message: `A federated identity credential lets ${why} sign in as the managed identity (subject ${subject})`,
        });
      }
    }
    // Nested deployments carry their own template and scope.
    const nested = isObj(props.template) ? props.template : undefined;
    if (nested !== undefined) {
      const nestedBase = typeof nested.$schema === 'string' ? (templateScope(nested.$schema) ?? base) : base;
      visit(ctx, nested.resources, nestedBase, depth + 1);
    }
    visit(ctx, r.resources, base, depth + 1);
  }
}

export const armAnalyzer: PostureAnalyzer = {
  id: 'arm',
  accepts: (path, head) => /\.json$/i.test(path) && /deploymentTemplate\.json#/i.test(head),
  analyze(ctx) {
    if (ctx.text.length > MAX_BYTES) {
      ctx.malformed('ARM template larger than 4 MiB, not analyzed');
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(ctx.text);
    } catch (err) {
      ctx.malformed(`invalid JSON: ${(err as Error).message.slice(0, 200)}`);
      return;
    }
    if (!isObj(doc)) return;
    const schema = typeof doc.$schema === 'string' ? doc.$schema : '';
    visit(ctx, doc.resources, templateScope(schema), 0);
  },
};
