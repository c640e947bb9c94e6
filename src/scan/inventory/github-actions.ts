import type { InventoryRelation } from '../../model/inventory.js';
import { isStaticCloudEntry, LOGIN_INPUTS } from '../posture/github-actions.js';
import { normalizeIamArn } from './aws.js';
import {
  awsRoleArn,
  credentialRelation,
  isObj,
  node,
  type Obj,
  parseDocumentPositioned,
  relation,
  text,
  tooDeep,
} from './common.js';
import type { InventoryExtractor } from './types.js';

/**
 * GitHub Actions workflows (`.github/workflows/*.yml`), as workload `github-workflow:<path>`:
 * - each `aws-actions/configure-aws-credentials` step with a literal `role-to-assume` → `runs-as` that
 *   role (an ARN as written; a bare name as `arn:aws:iam::*:role/<name>`; `${{ … }}` expressions skipped);
 * - each job → `runs-as` the job's GITHUB_TOKEN, identity `github-actions:repo:.` (the repository is
 *   not in the file: `.` stands for "this repository"), props `{ job, permissions, broad, oidc }`.
 *   `permissions` is the job's, else the workflow's, else `default`; `broad` when it is `default`
 *   (the repository setting, possibly write) or `write-all`; `oidc` when the job may mint an OIDC token
 *   (`id-token: write`, or broad).
 */

const WORKFLOW_PATH = /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i;
const CONFIGURE_AWS = /^aws-actions\/configure-aws-credentials(?:@|$)/i;
const MAX_BYTES = 2 * 1024 * 1024;

/** The repository's own token, seen from a workflow file that cannot name its repository. */
export const GITHUB_TOKEN_IDENTITY = 'github-actions:repo:.';

function permissionsOf(v: unknown): { permissions: unknown; broad: boolean; oidc: boolean } {
  if (v === undefined || v === null) return { permissions: 'default', broad: true, oidc: true };
  const s = text(v);
  if (s !== undefined) {
    const broad = s === 'write-all';
    return { permissions: s, broad, oidc: broad };
  }
  if (isObj(v)) {
    const map: Record<string, string> = {};
    for (const [k, level] of Object.entries(v)) map[k] = text(level) ?? '?';
    return { permissions: map, broad: false, oidc: map['id-token'] === 'write' };
  }
  return { permissions: '?', broad: false, oidc: false };
}

/** The line of the first long-lived cloud key given to a job (its `env:`, a step's `env:`/`with:`, a login action's key input). */
function staticCloudLine(
  pos: { line(container: unknown, key?: string | number): number | undefined },
  holders: unknown[],
): number | undefined {
  for (const h of holders) {
    if (!isObj(h)) continue;
    const uses = text(h.uses)?.trim() ?? '';
    const action = (uses.split('@')[0] ?? '').split('/').slice(0, 2).join('/').toLowerCase();
    const login = LOGIN_INPUTS[action];
    for (const mapKey of ['env', 'with'] as const) {
      const map = h[mapKey];
      if (!isObj(map)) continue;
      for (const [k, v] of Object.entries(map)) {
        const value = text(v);
        if (value === undefined) continue;
        if ((login && mapKey === 'with' && k === login.input && value.trim() !== '') || isStaticCloudEntry(k, value))
          return pos.line(map, k) ?? pos.line(h, mapKey);
      }
    }
  }
  return undefined;
}

function extract(path: string, body: string): InventoryRelation[] {
  if (body.length > MAX_BYTES || tooDeep(body)) return [];
  const parsed = parseDocumentPositioned(body);
  if (!parsed.ok || !isObj(parsed.doc.value)) return [];
  const pos = parsed.doc;
  const root = pos.value as Obj;
  const jobs = root.jobs;
  if (!isObj(jobs)) return [];
  const workload = node('workload', `github-workflow:${path}`, text(root.name) ?? path);
  const out: InventoryRelation[] = [];
  const at = (container: unknown, key?: string | number, fallback = 1): number => pos.line(container, key) ?? fallback;

  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isObj(job)) continue;
    const jobLine = at(jobs, jobId);
    const own = job.permissions !== undefined;
    const perms = permissionsOf(own ? job.permissions : root.permissions);
    const line = own
      ? at(job, 'permissions', jobLine)
      : root.permissions !== undefined
        ? at(root, 'permissions', jobLine)
        : jobLine;
    out.push(
      relation('runs-as', workload, node('identity', GITHUB_TOKEN_IDENTITY, 'GITHUB_TOKEN'), path, line, {
        job: jobId,
        ...perms,
      }),
    );

    const steps = job.steps;
    // A long-lived cloud key handed to the job (the static-cloud-credentials posture test): the
    // repository's CI identity holds a static credential instead of federating.
    const staticLine = staticCloudLine(pos, [root, job, ...(Array.isArray(steps) ? steps : [])]);
    if (staticLine !== undefined) {
      const environment = text(isObj(job.environment) ? job.environment.name : job.environment);
      const props = { type: 'ci-static-cloud-key', static: true };
      const cred = credentialRelation(
        node('identity', GITHUB_TOKEN_IDENTITY, 'GITHUB_TOKEN'),
        `github-workflow:${path}#${jobId}`,
        props,
        path,
        staticLine,
      );
      if (environment && !environment.includes('${{')) cred.dst.props = { ...cred.dst.props, environment };
      out.push(cred);
    }
    for (const step of Array.isArray(steps) ? steps : []) {
      if (!isObj(step) || !CONFIGURE_AWS.test(text(step.uses)?.trim() ?? '')) continue;
      const role = text(isObj(step.with) ? step.with['role-to-assume'] : undefined)?.trim();
      if (!role || role.includes('${{')) continue;
      const id = role.startsWith('arn:') ? normalizeIamArn(role) : awsRoleArn(role);
      if (id === undefined) continue;
      out.push(
        relation('runs-as', workload, node('identity', id), path, at(step.with, 'role-to-assume', jobLine), {
          job: jobId,
          via: 'aws-actions/configure-aws-credentials',
        }),
      );
    }
  }
  return out;
}

/** GitHub Actions workflows (composite actions have no identity of their own: not read). */
export const githubActionsExtractor: InventoryExtractor = {
  id: 'github-actions',
  accepts: (path) => WORKFLOW_PATH.test(path),
  extract,
};
