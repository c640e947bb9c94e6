import type { Expr, PolicyJson, SchemaJson } from '@cedar-policy/cedar-wasm/nodejs';

/*
 * The manifest compiled to Cedar. One Cedar policy per `allow` entry, id `NAME/allow/N`, so Cedar's
 * own diagnostics name the manifest entry that decided. The request is modelled as:
 *
 *   principal  Warden::Identity::"<declared name>"   (resolved from a name, a match, or a JIT credential)
 *   action     Warden::Action::"request"             (one action; the requested action is context.action)
 *   resource   Warden::Resource::"<resource>"
 *   context    { action, resource, environment?, sourceIp? (ipaddr), region?, inWindow?, qmatch? }
 *
 * Actions and resources are arbitrary strings with globs, so they are context strings matched with
 * Cedar's `like` (actions lower-cased on both sides: AWS treats them case-insensitively). Networks
 * are Cedar `ipaddr` ranges, environments and regions set membership. Time windows are the one part
 * evaluated in JavaScript: Cedar has no time zones or days of the week, so the authorizer computes
 * `inWindow` for the principal's windows (Intl, cached per zone) and Cedar requires it. A `?` glob
 * has no Cedar equivalent either: such patterns are numbered, matched in JavaScript, and the policy
 * requires its number in `context.qmatch`. Policies are built as Cedar's JSON form, never as text,
 * so no manifest string can inject policy syntax.
 */

/** What compilation reads of a declared identity (structurally the manifest's identity). */
export interface AuthzIdentity {
  name: string;
  match: readonly string[];
  environments?: readonly string[] | undefined;
  allow?: ReadonlyArray<{ actions: readonly string[]; resources?: readonly string[] | undefined; id?: string }> | undefined;
  sources?: { networks?: readonly string[] | undefined; regions?: readonly string[] | undefined } | undefined;
  windows?: ReadonlyArray<{ days: readonly string[]; from: string; to: string; timezone: string }> | undefined;
}

export const NAMESPACE = 'Warden';
export const PRINCIPAL_TYPE = `${NAMESPACE}::Identity`;
export const ACTION_TYPE = `${NAMESPACE}::Action`;
export const RESOURCE_TYPE = `${NAMESPACE}::Resource`;
export const ACTION_ID = 'request';

/** A `?` glob matched in JavaScript, by number. */
export interface QGlob {
  n: number;
  glob: string;
  /** Actions compare lower-cased. */
  action: boolean;
}

export interface CompiledPolicies {
  /** Policy id → Cedar JSON policy. */
  policies: Record<string, PolicyJson>;
  /**
   * The same policies sliced by principal: each identity's own. Every policy names its principal, so
   * a request can only ever be decided by its principal's slice; evaluating that slice instead of the
   * whole set gives the same decision at a cost that does not grow with the manifest.
   */
  byIdentity: Map<string, Record<string, PolicyJson>>;
  schema: SchemaJson<string>;
  /** The `?` globs each identity's policies refer to. */
  qglobs: Map<string, QGlob[]>;
}

const ctx = (attr: string): Expr => ({ '.': { left: { Var: 'context' }, attr } });
const str = (s: string): Expr => ({ Value: s });
const and = (parts: Expr[]): Expr =>
  parts.length === 0 ? { Value: true } : parts.reduce((left, right) => ({ '&&': { left, right } }));
const or = (parts: Expr[]): Expr =>
  parts.length === 0 ? { Value: false } : parts.reduce((left, right) => ({ '||': { left, right } }));
const has = (attr: string): Expr => ({ has: { left: { Var: 'context' }, attr } });

/** A glob as a Cedar `like` pattern: `*` (any run, `**` too) is the wildcard, everything else literal. */
export function likePattern(glob: string): Array<'Wildcard' | { Literal: string }> {
  const out: Array<'Wildcard' | { Literal: string }> = [];
  for (const part of glob.split(/(\*+)/)) {
    if (part === '') continue;
    if (part.startsWith('*')) out.push('Wildcard');
    else out.push({ Literal: part });
  }
  return out;
}

/**
 * The Cedar policies and schema of a manifest's identities.
 * @example const { policies, schema } = compileToCedar(manifest.identities)
 */
export function compileToCedar(identities: readonly AuthzIdentity[]): CompiledPolicies {
  const policies: Record<string, PolicyJson> = {};
  const byIdentity = new Map<string, Record<string, PolicyJson>>();
  const qglobs = new Map<string, QGlob[]>();
  let q = 0;
  for (const id of identities) {
    const mine: QGlob[] = [];
    const globTest = (attr: 'action' | 'resource', glob: string): Expr => {
      const g = attr === 'action' ? glob.toLowerCase() : glob;
      if (g.replace(/\*+/g, '') === '') return { Value: true };
      if (g.includes('?')) {
        const n = q++;
        mine.push({ n, glob: g, action: attr === 'action' });
        return and([has('qmatch'), { contains: { left: ctx('qmatch'), right: { Value: n } } }]);
      }
      return { like: { left: ctx(attr), pattern: likePattern(g) } };
    };
    const conditions: Expr[] = [];
    if (id.environments !== undefined)
      conditions.push(
        and([has('environment'), { contains: { left: { Set: id.environments.map(str) }, right: ctx('environment') } }]),
      );
    const nets = id.sources?.networks;
    if (nets !== undefined)
      conditions.push(
        and([
          has('sourceIp'),
          or(
            nets.map(
              (n) =>
                ({
                  isInRange: [ctx('sourceIp'), { ip: [str(n.includes('/') ? n : n.includes(':') ? `${n}/128` : `${n}/32`)] }],
                }) as Expr,
            ),
          ),
        ]),
      );
    const regions = id.sources?.regions;
    if (regions !== undefined) {
      // Region globs (`eu-*`) are `like` patterns over context.region.
      conditions.push(
        and([has('region'), or(regions.map((r) => ({ like: { left: ctx('region'), pattern: likePattern(r) } }) as Expr))]),
      );
    }
    if (id.windows !== undefined && id.windows.length > 0) conditions.push(and([has('inWindow'), ctx('inWindow')]));
    for (const [i, entry] of (id.allow ?? []).entries()) {
      const pid = entry.id ?? `${id.name}/allow/${i}`;
      const body = and([
        or(entry.actions.map((a) => globTest('action', a))),
        entry.resources === undefined ? { Value: true } : or(entry.resources.map((r) => globTest('resource', r))),
        ...conditions,
      ]);
      const slice = byIdentity.get(id.name) ?? {};
      byIdentity.set(id.name, slice);
      slice[pid] = policies[pid] = {
        effect: 'permit',
        principal: { op: '==', entity: { type: PRINCIPAL_TYPE, id: id.name } },
        action: { op: '==', entity: { type: ACTION_TYPE, id: ACTION_ID } },
        resource: { op: 'All' },
        conditions: [{ kind: 'when', body }],
        annotations: { id: pid },
      };
    }
    if (mine.length > 0) qglobs.set(id.name, mine);
  }
  const optional = (type: object) => ({ ...type, required: false });
  const schema: SchemaJson<string> = {
    [NAMESPACE]: {
      entityTypes: { Identity: {}, Resource: {} },
      actions: {
        [ACTION_ID]: {
          appliesTo: {
            principalTypes: ['Identity'],
            resourceTypes: ['Resource'],
            context: {
              type: 'Record',
              attributes: {
                action: { type: 'String' },
                resource: { type: 'String' },
                environment: optional({ type: 'String' }),
                sourceIp: optional({ type: 'Extension', name: 'ipaddr' }),
                region: optional({ type: 'String' }),
                inWindow: optional({ type: 'Boolean' }),
                qmatch: optional({ type: 'Set', element: { type: 'Long' } }),
              },
            },
          },
        },
      },
    },
  } as SchemaJson<string>;
  return { policies, byIdentity, schema, qglobs };
}
