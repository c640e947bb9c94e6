/**
 * Who lives in the scenario: the primary non-human identities (a fixed roster first, so that even a
 * small scenario has a victim for every attack, then a weighted mix) and the supporting identities
 * they need (key rotators, Kubernetes nodes).
 */
import { AgentActor } from './agent.js';
import { AppRoleActor, CiRoleActor, type IamFlavour, IamUserActor, KeyRotatorActor } from './aws.js';
import { K8sSaActor, NodePool } from './k8s.js';
import { createRng, type Rng, seedOf } from './random.js';
import { GithubBotActor, OktaAppActor, Repos } from './saas.js';
import type { Actor, ResolvedParams } from './types.js';
import { VaultApproleActor, VaultK8sActor } from './vault.js';
import { CLUSTERS, createNamer, type Env } from './world.js';

/** One entry of the roster: a kind and its flavour. */
type Spec =
  | { kind: 'aws-iam-user'; flavour: IamFlavour }
  | { kind: 'aws-app-role'; shape: 'always' | 'business' }
  | { kind: 'aws-ci-role' }
  | { kind: 'vault-k8s-sa'; shape: 'always' | 'business' | 'batch' }
  | { kind: 'vault-approle-ci' }
  | { kind: 'k8s-sa'; shape: 'always' | 'batch'; prod?: boolean }
  | { kind: 'github-bot'; flavour: 'app' | 'pat'; shape: 'always' | 'business' | 'batch' }
  | { kind: 'okta-service-app'; shape: 'always' | 'business' }
  | { kind: 'agent'; shape: 'always' | 'business' };

/** The first identities, in order: each attack variant finds a victim among them (see attacks.ts). */
const ROSTER: readonly Spec[] = [
  { kind: 'aws-iam-user', flavour: 'batch' },
  { kind: 'vault-k8s-sa', shape: 'always' },
  { kind: 'aws-iam-user', flavour: 'business' },
  { kind: 'aws-ci-role' },
  { kind: 'vault-k8s-sa', shape: 'business' },
  { kind: 'okta-service-app', shape: 'always' },
  { kind: 'vault-k8s-sa', shape: 'always' },
  { kind: 'k8s-sa', shape: 'always', prod: true },
  { kind: 'aws-iam-user', flavour: 'batch' },
  { kind: 'agent', shape: 'business' },
  { kind: 'vault-approle-ci' },
  { kind: 'aws-iam-user', flavour: 'batch' },
  { kind: 'k8s-sa', shape: 'always', prod: true },
  { kind: 'github-bot', flavour: 'app', shape: 'always' },
  { kind: 'okta-service-app', shape: 'business' },
  { kind: 'aws-app-role', shape: 'business' },
  { kind: 'agent', shape: 'always' },
  { kind: 'aws-iam-user', flavour: 'ci' },
  { kind: 'k8s-sa', shape: 'always', prod: true },
  { kind: 'vault-k8s-sa', shape: 'always' },
  { kind: 'github-bot', flavour: 'app', shape: 'business' },
  { kind: 'aws-iam-user', flavour: 'business' },
  { kind: 'aws-iam-user', flavour: 'business' },
  { kind: 'aws-app-role', shape: 'always' },
  { kind: 'agent', shape: 'business' },
  { kind: 'agent', shape: 'always' },
];

/** The mix after the roster, by relative weight: app roles and service accounts dominate, as in most estates. */
function randomSpec(rng: Rng): Spec {
  const kind = rng.weighted([
    ['aws-app-role', 22],
    ['aws-ci-role', 7],
    ['aws-iam-user', 8],
    ['vault-k8s-sa', 18],
    ['vault-approle-ci', 3],
    ['k8s-sa', 16],
    ['github-bot', 9],
    ['okta-service-app', 8],
    ['agent', 9],
  ] as const);
  switch (kind) {
    case 'aws-app-role':
      return { kind, shape: rng.chance(0.7) ? 'always' : 'business' };
    case 'aws-ci-role':
    case 'vault-approle-ci':
      return { kind };
    case 'aws-iam-user':
      return {
        kind,
        flavour: rng.weighted([
          ['batch', 50],
          ['business', 35],
          ['ci', 15],
        ] as const),
      };
    case 'vault-k8s-sa':
      return {
        kind,
        shape: rng.weighted([
          ['always', 60],
          ['business', 25],
          ['batch', 15],
        ] as const),
      };
    case 'k8s-sa':
      return { kind, shape: rng.chance(0.8) ? 'always' : 'batch' };
    case 'github-bot': {
      const [flavour, shape] = rng.weighted([
        [['app', 'always'], 30],
        [['app', 'business'], 30],
        [['app', 'batch'], 15],
        [['pat', 'business'], 25],
      ] as const);
      return { kind, flavour, shape };
    }
    case 'okta-service-app':
      return { kind, shape: rng.chance(0.6) ? 'always' : 'business' };
    default:
      return { kind: 'agent', shape: rng.chance(0.6) ? 'business' : 'always' };
  }
}

/** Everyone in the scenario, and the shared infrastructure they use. */
export interface Population {
  /** Primary identities, in creation order. */
  actors: Actor[];
  /** One key rotator per account that has IAM users. */
  rotators: Map<string, KeyRotatorActor>;
  nodes: NodePool;
  repos: Repos;
}

/**
 * Builds the population for the parameters, deterministically.
 * @example const pop = buildPopulation(resolveParams({ seed: 1, identities: 20, days: 4, start: '2025-06-06' }));
 */
export function buildPopulation(p: ResolvedParams): Population {
  const rng = createRng(seedOf(p.seed, 'population'));
  const nodes = new NodePool(Math.max(3, Math.ceil(p.identities / 25)));
  const repos = new Repos(createRng(seedOf(p.seed, 'repos')));
  const rotators = new Map<string, KeyRotatorActor>();
  const name = createNamer();
  const actors: Actor[] = [];
  let agents = 0;
  for (let i = 0; i < p.identities; i++) {
    const spec = i < ROSTER.length ? ROSTER[i]! : randomSpec(rng);
    const r = createRng(seedOf(p.seed, 'identity', i));
    const n = name(r);
    const env: Env = r.chance(0.75) ? 'prod' : 'staging';
    const site = r.int(1, 12);
    switch (spec.kind) {
      case 'aws-iam-user': {
        const a = new IamUserActor(r, n.name, n.app, env, spec.flavour, site);
        let rot = rotators.get(a.user.account);
        if (rot === undefined) {
          rot = new KeyRotatorActor(createRng(seedOf(p.seed, 'rotator', a.user.account)), a.user.account, 0);
          rotators.set(a.user.account, rot);
        }
        rot.users.push(a);
        actors.push(a);
        break;
      }
      case 'aws-app-role':
        actors.push(new AppRoleActor(r, n.name, n.app, env, spec.shape));
        break;
      case 'aws-ci-role':
        actors.push(new CiRoleActor(r, n.name, n.app, env, site));
        break;
      case 'vault-k8s-sa':
        actors.push(new VaultK8sActor(r, n.name, n.app, clusterFor(r, env), spec.shape));
        break;
      case 'vault-approle-ci':
        actors.push(new VaultApproleActor(r, n.name, r.pick([-5, 1])));
        break;
      case 'k8s-sa':
        actors.push(new K8sSaActor(r, n.name, n.app, clusterFor(r, spec.prod === true ? 'prod' : env), spec.shape, nodes));
        break;
      case 'github-bot': {
        const repoNames = Array.from({ length: r.int(3, 8) }, () => createNamer()(r).app);
        repoNames.push(n.app);
        actors.push(new GithubBotActor(r, n.name, [...new Set(repoNames)], repos, spec.flavour, spec.shape, site));
        break;
      }
      case 'okta-service-app':
        actors.push(new OktaAppActor(r, n.name, site, spec.shape));
        break;
      case 'agent':
        actors.push(new AgentActor(r, agents++, spec.shape));
        break;
    }
  }
  return { actors, rotators, nodes, repos };
}

function clusterFor(rng: Rng, env: Env) {
  const list = CLUSTERS.filter((c) => c.env === env);
  return rng.pick(list.length > 0 ? list : CLUSTERS);
}
