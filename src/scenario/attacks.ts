/**
 * The attack catalogue: each variant picks a victim of the right kind, sets the episode up (a key
 * rotation, a revocation) and emits the malicious records at their time, inside the victim's own
 * traffic. Every malicious record's event id goes into the episode's truth, with the identity and
 * credential keys the normaliser will give it.
 */
import type { DetectionId } from '../model/alert.js';
import type { EventSource } from '../model/identity-event.js';
import { AgentActor, agentEventIds, agentSpanTimes, type ToolStep } from './agent.js';
import { AppRoleActor, CiRoleActor, ctRecord, getSecretValue, IamUserActor, mgmtCall, s3Call } from './aws.js';
import { K8sSaActor, k8sEvent } from './k8s.js';
import type { Population } from './population.js';
import { createRng, type Rng, seedOf } from './random.js';
import { GEO, GithubBotActor, ghGit, OktaAppActor, oktaGrant } from './saas.js';
import { type Actor, DAY, type Emit, type Episode, HOUR, MINUTE, type ResolvedParams } from './types.js';
import {
  kvRead,
  MOUNTS,
  operatorToken,
  PERMISSION_DENIED,
  VaultApproleActor,
  VaultK8sActor,
  type VaultPod,
  type VaultToken,
  vaultCall,
} from './vault.js';
import { attackerIp, FOREIGN_REGIONS, podIp } from './world.js';

type Rec = Record<string, unknown>;

/** What a variant's plan gets: the scenario's clock, the population and a way to schedule steps. */
export interface AttackPlanContext {
  params: ResolvedParams;
  /** 00:00 UTC of day 0, ms. */
  start: number;
  /** First day attacks may happen on. */
  attackFrom: number;
  pop: Population;
  /** Where benign records go (a victim's own reaction to the attack is benign traffic). */
  emit: Emit;
  /** Runs `run` at time `t`, in time order with the traffic of the identity in time zone `tz`. */
  hook(t: number, run: () => void, tz?: number): void;
}

/** The normalised event ids one record gives. */
export function eventIdsOf(source: EventSource, rec: Rec): string[] {
  switch (source) {
    case 'cloudtrail':
      return [rec.eventID as string];
    case 'vault':
      return [(rec.request as Rec).id as string];
    case 'k8s-audit':
      return [rec.auditID as string];
    case 'github-audit':
      return [rec._document_id as string];
    case 'okta':
      return [rec.uuid as string];
    case 'agent-trace':
      return agentEventIds(rec);
    case 'gcp-audit':
      return [rec.insertId as string];
    default:
      return [];
  }
}

/** Collects an episode's truth while its records are emitted. */
export class EpisodeBuilder {
  readonly episode: Episode;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private readonly ids = new Set<string>();
  private readonly contextIds = new Set<string>();
  /** Emits a malicious record: its ids and time go into the truth. */
  readonly attack: Emit;
  /** Emits a set-up record (a revocation, a rotation step): its ids go into contextEventIds. */
  readonly context: Emit;

  constructor(id: string, variant: Variant, identity: string, emit: Emit) {
    this.episode = {
      id,
      variant: variant.name,
      title: variant.title,
      detections: [...variant.detections],
      source: variant.source,
      identity,
      credentials: [],
      start: '',
      end: '',
      eventIds: [],
      contextEventIds: [],
    };
    this.attack = (source, t, rec) => {
      emit(source, t, rec);
      for (const x of source === 'agent-trace' ? agentSpanTimes(rec) : [t]) {
        if (x < this.first) this.first = x;
        if (x > this.last) this.last = x;
      }
      for (const i of eventIdsOf(source, rec)) this.ids.add(i);
    };
    this.context = (source, t, rec) => {
      emit(source, t, rec);
      for (const i of eventIdsOf(source, rec)) this.contextIds.add(i);
    };
  }

  credential(key: string): void {
    if (!this.episode.credentials.includes(key)) this.episode.credentials.push(key);
  }

  /** The episode as truth.json holds it; undefined when nothing was emitted (it fell outside the scenario). */
  finish(): Episode | undefined {
    if (this.ids.size === 0) return undefined;
    return {
      ...this.episode,
      start: new Date(this.first).toISOString(),
      end: new Date(this.last).toISOString(),
      eventIds: [...this.ids],
      contextEventIds: [...this.contextIds, ...this.extraContext],
    };
  }

  /** Context ids known only through other means (rotation steps logged by the rotator). */
  readonly extraContext: string[] = [];
}

/** One kind of attack. */
export interface Variant {
  name: string;
  title: string;
  detections: DetectionId[];
  source: EventSource;
  /** The set-up changes the victim's own traffic (a rotation): no other variant may use the victim. */
  exclusive: boolean;
  victim(a: Actor): boolean;
  /** Day (index into the scenario) to run on, given the attack window; default spreads variants over it. */
  day?(c: AttackPlanContext, spread: number): number;
  /** The identity the attack events carry, as the normaliser names it. */
  identity?(victim: Actor): string;
  plan(c: AttackPlanContext, victim: Actor, ep: EpisodeBuilder, rng: Rng, day: number): void;
}

const KALI_CLI = 'aws-cli/1.22.34 Python/3.10.12 Linux/6.5.0-kali3-amd64 botocore/1.23.34';
const CURL = 'curl/8.5.0';
const PY_REQUESTS = 'python-requests/2.32.3';
const INVALID_TOKEN = { code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
const ACCESS_DENIED = (what: string) => ({ code: 'AccessDenied', message: `User is not authorized to perform: ${what}` });

/** `hh:mm` local time of `tz` on scenario day `day`. */
function local(c: AttackPlanContext, day: number, tz: number, hh: number, mm: number): number {
  return c.start + day * DAY - tz * HOUR + hh * HOUR + mm * MINUTE;
}

/** The weekend day of the attack window (Sunday first), else its first day. */
function weekendDay(c: AttackPlanContext): number {
  const days = c.params.days;
  for (const want of [0, 6]) {
    for (let d = c.attackFrom; d < days; d++) if (new Date(c.start + d * DAY).getUTCDay() === want) return d;
  }
  return c.attackFrom;
}

/** The first attack day that leaves `after` more days in the scenario (-1 when the scenario is too short). */
function dayWithRoom(c: AttackPlanContext, after: number): number {
  const last = c.params.days - 1 - after;
  return last < 0 ? -1 : Math.max(0, Math.min(c.attackFrom, last));
}

const isIam = (f?: IamUserActor['flavour'][]) => (a: Actor) =>
  a instanceof IamUserActor && (f === undefined || f.includes(a.flavour));

// ---------------------------------------------------------------- the catalogue

export const CATALOGUE: readonly Variant[] = [
  {
    name: 'new-source.aws-key-from-vps',
    title: "An IAM user's access key used from a VPS in another region with a pentest distribution's CLI",
    detections: ['runtime.credential.new-source'],
    source: 'cloudtrail',
    exclusive: false,
    victim: isIam(['batch', 'business']),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const t0 = local(c, day, u.tz, 14, rng.int(0, 50));
      c.hook(t0, () => {
        const key = u.keyAt(t0);
        ep.credential(key);
        const ip = attackerIp(rng, 0);
        const region = rng.pick(FOREIGN_REGIONS);
        let t = t0;
        const by = (r = 'us-east-1') => ({ ...u.caller(t, ip, key, KALI_CLI), region: r });
        const next = () => (t += rng.int(5, 90) * 1000);
        ep.attack('cloudtrail', next(), mgmtCall(rng, t, by(), 'sts', 'GetCallerIdentity'));
        ep.attack('cloudtrail', next(), mgmtCall(rng, t, by(), 'iam', 'ListAttachedUserPolicies', { userName: u.user.name }));
        ep.attack('cloudtrail', next(), mgmtCall(rng, t, by(), 'iam', 'ListUsers', undefined, ACCESS_DENIED('iam:ListUsers')));
        ep.attack('cloudtrail', next(), mgmtCall(rng, t, by(), 's3', 'ListBuckets'));
        ep.attack(
          'cloudtrail',
          next(),
          mgmtCall(rng, t, by(region), 'secretsmanager', 'ListSecrets', undefined, ACCESS_DENIED('secretsmanager:ListSecrets')),
        );
        for (const r of [region, 'us-east-1', 'eu-west-1', rng.pick(FOREIGN_REGIONS)]) {
          ep.attack(
            'cloudtrail',
            next(),
            mgmtCall(rng, t, by(r), 'ec2', 'DescribeInstances', undefined, {
              code: 'Client.UnauthorizedOperation',
              message: 'You are not authorized to perform this operation.',
            }),
          );
        }
        for (let i = rng.int(3, 6); i > 0; i--)
          ep.attack(
            'cloudtrail',
            next(),
            s3Call(
              rng,
              t,
              by(u.region),
              'GetObject',
              u.bucket,
              `${new Date(t).toISOString().slice(0, 10)}/part-${String(i).padStart(4, '0')}.gz`,
            ),
          );
      });
    },
  },
  {
    name: 'new-source.okta-app-from-script',
    title: "A service app's client secret used from a new network with a scripting client",
    detections: ['runtime.credential.new-source'],
    source: 'okta',
    exclusive: false,
    victim: (a) => a instanceof OktaAppActor && !a.client.ua.startsWith('python-requests'),
    plan(c, v, ep, rng, day) {
      const o = v as OktaAppActor;
      ep.credential(o.app.id);
      const t0 = local(c, day, o.tz, 15, rng.int(0, 50));
      const client = { ip: attackerIp(rng, 1), ua: PY_REQUESTS, geo: GEO.SG };
      for (let i = 0; i < 4; i++) {
        const t = t0 + i * rng.int(2, 9) * MINUTE;
        c.hook(t, () => ep.attack('okta', t, oktaGrant(rng, t, o.app, client, o.scopes)));
      }
    },
  },
  {
    name: 'new-source.github-app-token-from-vps',
    title: "A GitHub App's installation token used from a VPS to download archives",
    detections: ['runtime.credential.new-source'],
    source: 'github-audit',
    exclusive: false,
    victim: (a) => a instanceof GithubBotActor && a.flavour === 'app',
    plan(c, v, ep, rng, day) {
      const g = v as GithubBotActor;
      const t0 = local(c, day, g.tz, 11, rng.int(0, 50));
      githubSweep(c, g, ep, rng, t0, {
        ipIndex: 2,
        country: 'NL',
        action: 'repo.download_zip',
        ua: PY_REQUESTS,
        gapSeconds: [10, 90],
        repos: () => g.repos,
      });
    },
  },
  {
    name: 'reuse-after-revocation.vault-token',
    title: "A pod's Vault token revoked by the on-call engineer (revoke-accessor), then presented again from outside",
    detections: ['runtime.credential.reuse-after-revocation'],
    source: 'vault',
    exclusive: false,
    victim: (a) => a instanceof VaultK8sActor && a.shape === 'always',
    plan(c, v, ep, rng, day) {
      const s = v as VaultK8sActor;
      const tRevoke = local(c, day, s.tz, 9, rng.int(0, 59));
      const tReuse = tRevoke + rng.int(2, 5) * HOUR;
      let revoked: VaultToken | undefined;
      c.hook(tRevoke, () => {
        const pod = s.pods[0]!;
        if (pod.token === undefined) s.login(rng, ep.context, tRevoke - 60_000, pod, 8 * 3600);
        revoked = pod.token!;
        ep.credential(revoked.accessor);
        ep.credential(revoked.clientToken);
        vaultCall(rng, ep.context, {
          t: tRevoke,
          auth: operatorToken(rng, tRevoke),
          path: 'auth/token/revoke-accessor',
          operation: 'update',
          mount: MOUNTS.token,
          ip: `10.30.${rng.int(0, 9)}.${rng.int(10, 250)}`,
          ua: 'Vault/1.17.2 (+https://www.vaultproject.io/; go1.22.5)',
          data: { accessor: revoked.accessor },
          response: {},
        });
        // The pod's agent notices and logs in again: the workload itself carries on with a new token.
        s.login(rng, c.emit, tRevoke + rng.int(20, 90) * 1000, pod, 8 * 3600);
      });
      c.hook(tReuse, () => {
        if (revoked === undefined) return;
        // A revoked token no longer resolves: Vault logs the HMAC of the token it was given, no accessor.
        const auth = { client_token: revoked.clientToken, token_type: 'default', policy_results: { allowed: false } };
        const ip = attackerIp(rng, 3);
        let t = tReuse;
        for (let i = rng.int(4, 8); i > 0; i--) {
          t += rng.int(3, 40) * 1000;
          kvRead(rng, ep.attack, t, auth, ip, CURL, rng.pick(s.paths), PERMISSION_DENIED);
        }
      });
    },
  },
  {
    name: 'reuse-after-revocation.aws-deleted-key',
    title: "An IAM user's old access key presented again after the rotation deleted it",
    detections: ['runtime.credential.reuse-after-revocation', 'runtime.credential.rotated-still-used'],
    source: 'cloudtrail',
    exclusive: true,
    victim: isIam(['batch', 'business']),
    day: (c) => dayWithRoom(c, 1),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const rot = rotatorFor(c, u).planRotation(rng, u, c.start + day * DAY + 31 * MINUTE, 20 * HOUR, 28 * HOUR);
      ep.credential(rot.oldKey);
      const t0 = rot.deleteAt + rng.int(4, 8) * HOUR;
      c.hook(t0, () => {
        ep.extraContext.push(...rot.eventIds);
        const ip = attackerIp(rng, 4);
        let t = t0;
        for (const [service, name] of [
          ['sts', 'GetCallerIdentity'],
          ['s3', 'ListBuckets'],
          ['iam', 'GetUser'],
          ['sts', 'GetCallerIdentity'],
          ['secretsmanager', 'ListSecrets'],
        ] as const) {
          t += rng.int(5, 60) * 1000;
          ep.attack(
            'cloudtrail',
            t,
            mgmtCall(rng, t, u.caller(t, ip, rot.oldKey, KALI_CLI), service, name, undefined, INVALID_TOKEN),
          );
        }
      });
    },
  },
  {
    name: 'rotated-still-used.aws-deactivated-key',
    title: 'A forgotten host keeps presenting a deactivated access key after a planned rotation',
    detections: ['runtime.credential.rotated-still-used'],
    source: 'cloudtrail',
    exclusive: true,
    victim: isIam(['business', 'batch']),
    day: (c) => dayWithRoom(c, 1),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const rot = rotatorFor(c, u).planRotation(rng, u, c.start + day * DAY + 31 * MINUTE, 24 * HOUR, 96 * HOUR);
      ep.credential(rot.oldKey);
      // Same network and client as the real workload: only the key is stale.
      const t0 = rot.deactivateAt + rng.int(3, 9) * HOUR;
      c.hook(t0, () => {
        ep.extraContext.push(...rot.eventIds);
        let t = t0;
        for (let i = rng.int(3, 6); i > 0; i--) {
          t += rng.int(20, 300) * 1000;
          ep.attack(
            'cloudtrail',
            t,
            mgmtCall(rng, t, u.caller(t, u.ip, rot.oldKey), 'ec2', 'DescribeInstances', undefined, INVALID_TOKEN),
          );
        }
      });
    },
  },
  {
    name: 'rotated-still-used.aws-old-key-leaked',
    title: 'The rotated-out access key, not yet deactivated, used successfully from an unknown host',
    detections: ['runtime.credential.rotated-still-used', 'runtime.credential.new-source'],
    source: 'cloudtrail',
    exclusive: true,
    victim: isIam(['business', 'batch']),
    day: (c) => dayWithRoom(c, 1),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const rot = rotatorFor(c, u).planRotation(rng, u, c.start + day * DAY + 31 * MINUTE, 48 * HOUR, 72 * HOUR);
      ep.credential(rot.oldKey);
      const t0 = rot.createAt + rng.int(10, 14) * HOUR;
      c.hook(t0, () => {
        ep.extraContext.push(...rot.eventIds);
        const ip = attackerIp(rng, 5);
        let t = t0;
        const by = () =>
          u.caller(
            t,
            ip,
            rot.oldKey,
            'aws-cli/2.13.0 Python/3.11.4 Linux/5.15.0-89-generic exe/x86_64.ubuntu.22 prompt/off command/s3.sync',
          );
        t += 10_000;
        ep.attack('cloudtrail', t, mgmtCall(rng, t, by(), 's3', 'ListObjects', { bucketName: u.bucket }));
        for (let i = rng.int(8, 15); i > 0; i--) {
          t += rng.int(1, 8) * 1000;
          ep.attack('cloudtrail', t, s3Call(rng, t, by(), 'GetObject', u.bucket, `archive/${rng.hex(8)}.gz`));
        }
      });
    },
  },
  {
    name: 'privilege-escalation.ci-role-attaches-admin',
    title: 'A CI deploy role attaches AdministratorAccess to itself from a workflow run',
    detections: ['runtime.identity.privilege-escalation'],
    source: 'cloudtrail',
    exclusive: false,
    victim: (a) => a instanceof CiRoleActor,
    plan(c, v, ep, rng, day) {
      const r = v as CiRoleActor;
      const t0 = local(c, day, r.tz, 16, rng.int(0, 50));
      c.hook(t0, () => {
        const ip = r.runnerIps[0]!;
        const s = r.assume(rng, ep.context, t0, ip);
        ep.credential(s.key);
        let t = t0 + 15_000;
        const next = () => (t += rng.int(3, 20) * 1000);
        ep.attack(
          'cloudtrail',
          next(),
          mgmtCall(rng, t, s.caller('iam.list-attached-role-policies'), 'iam', 'ListAttachedRolePolicies', {
            roleName: r.role.name,
          }),
        );
        ep.attack(
          'cloudtrail',
          next(),
          ctRecord(rng, {
            t,
            ...s.caller('iam.attach-role-policy'),
            service: 'iam',
            name: 'AttachRolePolicy',
            params: { roleName: r.role.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
            readOnly: false,
          }),
        );
        ep.attack('cloudtrail', next(), mgmtCall(rng, t, s.caller('iam.list-users'), 'iam', 'ListUsers'));
        ep.attack(
          'cloudtrail',
          next(),
          ctRecord(rng, {
            t,
            ...s.caller('iam.create-user'),
            service: 'iam',
            name: 'CreateUser',
            params: { userName: 'support-automation' },
            readOnly: false,
          }),
        );
      });
    },
  },
  {
    name: 'privilege-escalation.ci-user-creates-own-key',
    title: 'A CI IAM user creates a second access key for itself and grants itself an inline policy',
    detections: ['runtime.identity.privilege-escalation'],
    source: 'cloudtrail',
    exclusive: false,
    victim: isIam(['ci']),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const t0 = local(c, day, u.tz, 13, rng.int(0, 50));
      c.hook(t0, () => {
        const key = u.keyAt(t0);
        ep.credential(key);
        let t = t0;
        const by = () => u.caller(t, u.ip, key, KALI_CLI);
        t += 5000;
        ep.attack('cloudtrail', t, mgmtCall(rng, t, by(), 'iam', 'ListAccessKeys', { userName: u.user.name }));
        t += rng.int(5, 30) * 1000;
        ep.attack(
          'cloudtrail',
          t,
          ctRecord(rng, {
            t,
            ...by(),
            service: 'iam',
            name: 'CreateAccessKey',
            params: { userName: u.user.name },
            response: {
              accessKey: {
                accessKeyId: `AKIA${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
                status: 'Active',
                userName: u.user.name,
              },
            },
            readOnly: false,
          }),
        );
        t += rng.int(5, 30) * 1000;
        ep.attack(
          'cloudtrail',
          t,
          ctRecord(rng, {
            t,
            ...by(),
            service: 'iam',
            name: 'PutUserPolicy',
            params: { userName: u.user.name, policyName: 'ci-extra' },
            readOnly: false,
          }),
        );
      });
    },
  },
  {
    name: 'privilege-escalation.k8s-sa-binds-cluster-admin',
    title: 'A service account binds itself to cluster-admin',
    detections: ['runtime.identity.privilege-escalation'],
    source: 'k8s-audit',
    exclusive: false,
    victim: (a) => a instanceof K8sSaActor && a.shape === 'always',
    plan(c, v, ep, rng, day) {
      const k = v as K8sSaActor;
      const t0 = local(c, day, k.tz, 20, rng.int(0, 50));
      c.hook(t0, () => {
        const pod = k.pods[0];
        if (pod === undefined) return;
        ep.credential(pod.jti);
        const name = `${k.sa}-admin`;
        ep.attack(
          'k8s-audit',
          t0,
          k8sEvent(rng, {
            t: t0,
            user: k.user(pod),
            verb: 'create',
            uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
            ip: pod.ip,
            ua: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
            ref: { resource: 'clusterrolebindings', name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
            code: 201,
            annotations: {
              'authorization.k8s.io/decision': 'allow',
              'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "${k.sa}-rbac-manager" of ClusterRole "rbac-manager" to ServiceAccount "${k.sa}/${k.namespace}"`,
            },
          }),
        );
      });
    },
  },
  {
    name: 'off-hours.vault-secrets-weekend-night',
    title: 'A business-hours service account logs in to Vault and reads its secrets at 03:00 on a weekend',
    detections: ['runtime.access.off-hours'],
    source: 'vault',
    exclusive: false,
    victim: (a) => a instanceof VaultK8sActor && a.shape === 'business',
    day: (c) => weekendDay(c),
    plan(c, v, ep, rng, day) {
      const s = v as VaultK8sActor;
      const t0 = local(c, day, s.tz, 3, rng.int(0, 30));
      c.hook(t0, () => {
        // The service account's JWT, taken from the pod, presented from a debug pod in the same cluster.
        const pod: VaultPod = { name: `${s.sa}-debug-${rng.hex(5)}`, ip: podIp(rng, s.cluster), token: undefined };
        let t = t0;
        s.login(rng, ep.attack, t, pod, 3600);
        const tok = pod.token!;
        ep.credential(tok.accessor);
        for (const path of [...s.paths, ...s.paths]) {
          t += rng.int(5, 60) * 1000;
          kvRead(rng, ep.attack, t, tok, pod.ip, s.ua, path);
        }
      });
    },
  },
  {
    name: 'off-hours.aws-secrets-weekend-night',
    title: 'A business-hours application role reads its secrets at 03:00 on a weekend',
    detections: ['runtime.access.off-hours'],
    source: 'cloudtrail',
    exclusive: false,
    victim: (a) => a instanceof AppRoleActor && a.shape === 'business',
    day: (c) => weekendDay(c),
    plan(c, v, ep, rng, day) {
      const r = v as AppRoleActor;
      const t0 = local(c, day, r.tz, 3, rng.int(0, 30));
      c.hook(t0, () => {
        const ip = r.ips[0]!;
        r.startSession(rng, ep.context, t0, ip);
        ep.credential(r.session!.key);
        let t = t0;
        for (const arn of [...r.secrets, ...r.secrets]) {
          t += rng.int(5, 40) * 1000;
          ep.attack('cloudtrail', t, getSecretValue(rng, t, r.caller(ip), arn));
        }
        for (let i = 0; i < 3; i++) {
          t += rng.int(5, 40) * 1000;
          ep.attack('cloudtrail', t, s3Call(rng, t, r.caller(ip), 'GetObject', r.bucket, `exports/${rng.hex(10)}.json`));
        }
      });
    },
  },
  {
    name: 'failures-then-success.okta-client-secret-guessing',
    title: 'Twenty failed client-credentials grants for a service app from a new network, then one that succeeds',
    detections: ['runtime.auth.failures-then-success'],
    source: 'okta',
    exclusive: false,
    victim: (a) => a instanceof OktaAppActor,
    plan(c, v, ep, rng, day) {
      const o = v as OktaAppActor;
      ep.credential(o.app.id);
      const t0 = local(c, day, o.tz, 13, rng.int(0, 50));
      const client = { ip: attackerIp(rng, 6), ua: PY_REQUESTS, geo: GEO.NL };
      let t = t0;
      for (let i = 0; i < 20; i++) {
        t += rng.int(4, 15) * 1000;
        const at = t;
        c.hook(at, () => ep.attack('okta', at, oktaGrant(rng, at, o.app, client, o.scopes, 'invalid_client')));
      }
      const ok = t + rng.int(10, 40) * 1000;
      c.hook(ok, () => ep.attack('okta', ok, oktaGrant(rng, ok, o.app, client, o.scopes)));
    },
  },
  {
    name: 'failures-then-success.aws-console-password',
    title: 'Twenty failed console sign-ins for a service user, then a successful one, from a new address',
    detections: ['runtime.auth.failures-then-success'],
    source: 'cloudtrail',
    exclusive: false,
    victim: isIam(['batch', 'business']),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const t0 = local(c, day, u.tz, 4, rng.int(0, 50));
      const ip = attackerIp(rng, 7);
      const browser = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
      const signIn = (t: number, ok: boolean): Rec => {
        const rec = ctRecord(rng, {
          t,
          userIdentity: {
            type: 'IAMUser',
            principalId: u.user.principalId,
            arn: u.user.arn,
            accountId: u.user.account,
            userName: u.user.name,
          },
          service: 'signin',
          name: 'ConsoleLogin',
          region: 'us-east-1',
          ip,
          ua: browser,
          account: u.user.account,
          response: { ConsoleLogin: ok ? 'Success' : 'Failure' },
          extra: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
          readOnly: false,
          eventType: 'AwsConsoleSignIn',
        });
        // A failed console sign-in carries only errorMessage, no errorCode.
        if (!ok) rec.errorMessage = 'Failed authentication';
        return rec;
      };
      let t = t0;
      for (let i = 0; i < 20; i++) {
        t += rng.int(3, 12) * 1000;
        const at = t;
        c.hook(at, () => ep.attack('cloudtrail', at, signIn(at, false)));
      }
      const ok = t + rng.int(10, 60) * 1000;
      c.hook(ok, () => ep.attack('cloudtrail', ok, signIn(ok, true)));
    },
  },
  {
    name: 'rate-spike.vault-mass-secret-reads',
    title: 'A service account reads secrets at fifty times its usual rate, enumerating its whole prefix',
    detections: ['runtime.identity.rate-spike'],
    source: 'vault',
    exclusive: false,
    victim: (a) => a instanceof VaultK8sActor && a.shape === 'always',
    plan(c, v, ep, rng, day) {
      const s = v as VaultK8sActor;
      const t0 = local(c, day, s.tz, 14, rng.int(0, 50));
      // A script walking the prefix: hundreds of reads in ten minutes, over fifty times the usual hourly rate.
      const perHour = (s.mean * Math.max(1, c.params.eventsPerIdentityPerDay / 40)) / 24;
      const n = Math.max(300, Math.round(50 * perHour));
      c.hook(t0, () => {
        const pod = s.pods[0]!;
        if (pod.token === undefined) s.login(rng, c.emit, t0 - 30_000, pod, 8 * 3600);
        const tok = pod.token!;
        ep.credential(tok.accessor);
        const span = 10 * MINUTE;
        for (let i = 0; i < n; i++) {
          const t = t0 + Math.floor((i / n) * span) + rng.int(0, 2000);
          const path =
            i % 3 === 0
              ? rng.pick(s.paths)
              : `${s.prefix}/${rng.pick(['db', 'api', 'svc', 'old', 'tmp', 'cfg'])}-${rng.int(1, 60)}`;
          kvRead(rng, ep.attack, t, tok, pod.ip, s.ua, path);
        }
      });
    },
  },
  {
    name: 'rate-spike.github-mass-clone',
    title: 'A GitHub App clones every repository of the organisation within minutes',
    detections: ['runtime.identity.rate-spike'],
    source: 'github-audit',
    exclusive: false,
    victim: (a) => a instanceof GithubBotActor && a.flavour === 'app',
    plan(c, v, ep, rng, day) {
      const g = v as GithubBotActor;
      const t0 = local(c, day, g.tz, 2, rng.int(0, 50));
      c.hook(t0, () => {
        const repos = c.pop.repos.all();
        // Pad with repositories no benign identity touches, so the sweep is as large as a real org's;
        // cloning tools run many clones at once, so the sweep takes minutes.
        for (let i = repos.length; i < 150; i++) repos.push(c.pop.repos.get(`internal-${i}`));
        const span = 8 * MINUTE;
        repos.forEach((repo, i) => {
          const t = t0 + Math.floor((i / repos.length) * span) + rng.int(0, 3000);
          const token = g.tokenAt(rng, t);
          ep.credential(token.hashed);
          ep.attack('github-audit', t, ghGit(rng, t, 'git.clone', g.actor, repo, token, g.ua));
        });
      });
    },
  },
  {
    name: 'resource-mismatch.k8s-prod-sa-lists-kube-system-secrets',
    title: 'A production service account lists and reads secrets in kube-system and another team’s namespace',
    detections: ['runtime.identity.resource-mismatch'],
    source: 'k8s-audit',
    exclusive: false,
    victim: (a) => a instanceof K8sSaActor && a.shape === 'always' && a.cluster.env === 'prod',
    plan(c, v, ep, rng, day) {
      const k = v as K8sSaActor;
      const t0 = local(c, day, k.tz, 10, rng.int(0, 50));
      c.hook(t0, () => {
        const pod = k.pods[0];
        if (pod === undefined) return;
        ep.credential(pod.jti);
        const forbid = { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' };
        const other = `prod-${rng.pick(['billing', 'ledger', 'payments-core', 'identity'])}`;
        const calls: Array<[string, string, Rec, number]> = [
          [
            'list',
            '/api/v1/namespaces/kube-system/secrets?limit=500',
            { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' },
            403,
          ],
          [
            'get',
            '/api/v1/namespaces/kube-system/secrets/aws-load-balancer-webhook-tls',
            { resource: 'secrets', namespace: 'kube-system', name: 'aws-load-balancer-webhook-tls', apiVersion: 'v1' },
            403,
          ],
          [
            'list',
            `/api/v1/namespaces/${other}/secrets?limit=500`,
            { resource: 'secrets', namespace: other, apiVersion: 'v1' },
            200,
          ],
          [
            'get',
            `/api/v1/namespaces/${other}/secrets/db-credentials`,
            { resource: 'secrets', namespace: other, name: 'db-credentials', apiVersion: 'v1' },
            200,
          ],
        ];
        let t = t0;
        for (const [verb, uri, ref, code] of calls) {
          t += rng.int(2, 30) * 1000;
          const ev: Parameters<typeof k8sEvent>[1] = {
            t,
            user: k.user(pod),
            verb,
            uri,
            ip: pod.ip,
            ua: k.ua,
            ref,
            code,
            annotations:
              code === 403
                ? forbid
                : {
                    'authorization.k8s.io/decision': 'allow',
                    'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "${k.sa}-read" of ClusterRole "secret-reader" to ServiceAccount "${k.sa}/${k.namespace}"`,
                  },
          };
          if (code === 403) ev.reason = 'Forbidden';
          ep.attack('k8s-audit', t, k8sEvent(rng, ev));
        }
      });
    },
  },
  {
    name: 'resource-mismatch.vault-other-team-secrets',
    title: "A service account reads other applications' secrets that an over-broad policy allows",
    detections: ['runtime.identity.resource-mismatch'],
    source: 'vault',
    exclusive: false,
    victim: (a) => a instanceof VaultK8sActor && a.shape === 'always',
    plan(c, v, ep, rng, day) {
      const s = v as VaultK8sActor;
      const t0 = local(c, day, s.tz, 11, rng.int(0, 50));
      c.hook(t0, () => {
        const pod = s.pods[0]!;
        if (pod.token === undefined) s.login(rng, c.emit, t0 - 30_000, pod, 8 * 3600);
        const tok = pod.token!;
        ep.credential(tok.accessor);
        const others = c.pop.actors.filter((a): a is VaultK8sActor => a instanceof VaultK8sActor && a.namespace !== s.namespace);
        const paths = others.slice(0, 4).flatMap((o) => o.paths.slice(0, 1));
        paths.push('secret/data/platform/root-ca', 'secret/data/platform/terraform-admin');
        let t = t0;
        for (const path of paths) {
          t += rng.int(5, 60) * 1000;
          kvRead(rng, ep.attack, t, tok, pod.ip, s.ua, path);
        }
      });
    },
  },
  {
    name: 'shared.aws-key-from-eight-networks',
    title: 'One access key used from eight networks within ten minutes while the real workload keeps using it',
    detections: ['runtime.credential.shared'],
    source: 'cloudtrail',
    exclusive: false,
    victim: isIam(['batch', 'business']),
    plan(c, v, ep, rng, day) {
      const u = v as IamUserActor;
      const t0 = local(c, day, u.tz, 12, rng.int(0, 50));
      c.hook(t0, () => {
        const key = u.keyAt(t0);
        ep.credential(key);
        const agents = [
          KALI_CLI,
          'Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 cfg/retry-mode#legacy Botocore/1.31.57',
          u.ua,
        ];
        for (let i = 0; i < 8; i++) {
          const ip = attackerIp(rng, i === 0 ? 8 : i);
          let t = t0 + i * rng.int(40, 75) * 1000;
          for (let j = rng.int(1, 3); j > 0; j--) {
            t += rng.int(1, 20) * 1000;
            ep.attack(
              'cloudtrail',
              t,
              mgmtCall(
                rng,
                t,
                u.caller(t, ip, key, rng.pick(agents)),
                rng.pick(['sts', 's3'] as const),
                j === 1 ? 'GetCallerIdentity' : 'ListBuckets',
              ),
            );
          }
        }
      });
    },
  },
  {
    name: 'shared.k8s-pod-token-from-another-pod',
    title: "A pod's bound service-account token (its JTI) used from another pod with kubectl",
    detections: ['runtime.credential.shared'],
    source: 'k8s-audit',
    exclusive: false,
    victim: (a) => a instanceof K8sSaActor && a.shape === 'always',
    plan(c, v, ep, rng, day) {
      const k = v as K8sSaActor;
      const t0 = local(c, day, k.tz, 15, rng.int(0, 50));
      c.hook(t0, () => {
        const pod = k.pods[0];
        if (pod === undefined) return;
        ep.credential(pod.jti);
        // The token still names the original pod (its claims); only the address and client differ.
        const ip = podIp(rng, k.cluster);
        const ua = 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350';
        const ns = k.namespace;
        let t = t0;
        for (let i = rng.int(10, 15); i > 0; i--) {
          t += rng.int(20, 120) * 1000;
          const [verb, uri, ref] = rng.pick([
            ['list', `/api/v1/namespaces/${ns}/secrets?limit=500`, { resource: 'secrets', namespace: ns, apiVersion: 'v1' }],
            [
              'get',
              `/api/v1/namespaces/${ns}/secrets/${k.resources.secret}`,
              { resource: 'secrets', namespace: ns, name: k.resources.secret, apiVersion: 'v1' },
            ],
            ['list', `/api/v1/namespaces/${ns}/pods?limit=500`, { resource: 'pods', namespace: ns, apiVersion: 'v1' }],
            [
              'list',
              `/api/v1/namespaces/${ns}/configmaps?limit=500`,
              { resource: 'configmaps', namespace: ns, apiVersion: 'v1' },
            ],
          ] as const);
          ep.attack(
            'k8s-audit',
            t,
            k8sEvent(rng, {
              t,
              user: k.user(pod),
              verb,
              uri,
              ip,
              ua,
              ref: { ...ref },
              code: 200,
              annotations: {
                'authorization.k8s.io/decision': 'allow',
                'authorization.k8s.io/reason': `RBAC: allowed by RoleBinding "${k.sa}/${ns}" of Role "${k.sa}" to ServiceAccount "${k.sa}/${ns}"`,
              },
            }),
          );
        }
      });
    },
  },
  {
    name: 'agent.secret-read-then-exfil',
    title: 'An agent reads a secret, then sends it with its HTTP tool to a host it never called',
    detections: ['runtime.agent.anomalous-tool-chain'],
    source: 'agent-trace',
    exclusive: false,
    victim: (a) =>
      a instanceof AgentActor &&
      a.chains.some((ch) => ch.some((s) => s.host !== undefined) && ch.some((s) => /secret|credential/.test(s.tool))),
    plan(c, v, ep, rng, day) {
      const g = v as AgentActor;
      const t0 = local(c, day, g.tz, 11, rng.int(0, 50));
      const usual = g.chains.find((ch) => ch.some((s) => /secret|credential/.test(s.tool)))!;
      const secretTool = usual.find((s) => /secret|credential/.test(s.tool))!.tool;
      const httpTool = usual.find((s) => s.host !== undefined)!.tool;
      // A prompt injection in a ticket: read the secret, post it to a paste site.
      const chain: ToolStep[] = [g.chains[0]![0]!, { tool: secretTool }, { tool: httpTool, host: 'paste.exfil-drop.example' }];
      c.hook(t0, () => ep.attack('agent-trace', t0, g.runDocument(rng, t0, chain)));
      ep.credential(g.agentId);
    },
  },
  {
    name: 'agent.never-used-tool',
    title: 'An agent calls a shell tool it has never used, in the middle of an ordinary run',
    detections: ['runtime.agent.anomalous-tool-chain'],
    source: 'agent-trace',
    exclusive: false,
    victim: (a) => a instanceof AgentActor && !a.chains.some((ch) => ch.some((s) => /secret|credential/.test(s.tool))),
    plan(c, v, ep, rng, day) {
      const g = v as AgentActor;
      const t0 = local(c, day, g.tz, 15, rng.int(0, 50));
      const base = g.chains[0]!;
      const chain: ToolStep[] = [base[0]!, { tool: 'run_shell_command' }, ...base.slice(1)];
      c.hook(t0, () => ep.attack('agent-trace', t0, g.runDocument(rng, t0, chain)));
      ep.credential(g.agentId);
    },
  },
  {
    name: 'long-lived-idle.vault-year-token',
    title: 'A CI AppRole mints an orphan Vault token with a one-year TTL, then it is used a few minutes a day',
    detections: ['runtime.credential.long-lived-idle'],
    source: 'vault',
    exclusive: false,
    victim: (a) => a instanceof VaultApproleActor,
    identity: () => 'token-backup-sync',
    day: (c) => c.attackFrom,
    plan(c, v, ep, rng, day) {
      const ci = v as VaultApproleActor;
      const tCreate = local(c, day, ci.tz, 10, rng.int(0, 50));
      const ip = `10.40.${rng.int(0, 9)}.${rng.int(10, 250)}`;
      let token: VaultToken | undefined;
      c.hook(tCreate, () => {
        const runner = ci.runnerIp(rng);
        const parent = ci.login(rng, ep.context, tCreate, runner);
        token = ci.createToken(
          rng,
          ep.context,
          tCreate + rng.int(5, 30) * 1000,
          parent,
          runner,
          {
            displayName: 'token-backup-sync',
            policies: ['default', 'backup-read'],
            metadata: null,
            entityId: undefined,
            ttl: 365 * 24 * 3600,
          },
          'auth/token/create-orphan',
        ).token;
        ep.credential(token.accessor);
      });
      // From the next hour on, once a day: a few reads within three minutes, then nothing.
      for (let d = day; d < c.params.days; d++) {
        const t0 =
          d === day ? tCreate + rng.int(2, 6) * HOUR : c.start + d * DAY + rng.int(1, 4) * HOUR + rng.int(0, 59) * MINUTE;
        c.hook(t0, () => {
          if (token === undefined) return;
          let t = t0;
          for (let i = rng.int(3, 6); i > 0; i--) {
            t += rng.int(5, 40) * 1000;
            kvRead(
              rng,
              ep.attack,
              t,
              token,
              ip,
              'Go-http-client/1.1',
              `secret/data/backup/${rng.pick(['s3', 'gcs', 'db-dump'])}`,
            );
          }
        });
      }
    },
  },
  {
    // GitHub logs a machine user as a `user`: only its usage (a classic PAT, programmatic access, no web
    // sessions) says it is not a person.
    name: 'new-source.github-machine-user-pat-new-country',
    title: "A GitHub machine user's classic PAT used from a new country for a burst of clones across many repositories",
    detections: ['runtime.credential.new-source'],
    source: 'github-audit',
    exclusive: false,
    victim: (a) => a instanceof GithubBotActor && a.flavour === 'pat',
    plan(c, v, ep, rng, day) {
      const g = v as GithubBotActor;
      const t0 = local(c, day, g.tz, 14, rng.int(0, 50));
      githubSweep(c, g, ep, rng, t0, {
        ipIndex: 4,
        country: g.actor.country === 'BR' ? 'VN' : 'BR',
        action: 'git.clone',
        ua: g.ua,
        gapSeconds: [3, 20],
        repos: () => {
          const repos = c.pop.repos.all();
          for (let i = repos.length; i < 40; i++) repos.push(c.pop.repos.get(`internal-${i}`));
          return repos.slice(0, 40);
        },
      });
    },
  },
];

/**
 * A GitHub bot's token used from an attacker's address, one request per repository: the shape of the
 * new-source GitHub variants.
 */
function githubSweep(
  c: Parameters<Variant['plan']>[0],
  g: GithubBotActor,
  ep: Parameters<Variant['plan']>[2],
  rng: Parameters<Variant['plan']>[3],
  t0: number,
  o: {
    ipIndex: number;
    country: string;
    action: string;
    ua: string;
    gapSeconds: [number, number];
    repos: () => ReadonlyArray<{ name: string; id: number }>;
  },
): void {
  c.hook(t0, () => {
    const token = g.tokenAt(rng, t0);
    ep.credential(token.hashed);
    const actor = { ...g.actor, ip: attackerIp(rng, o.ipIndex), country: o.country };
    let t = t0;
    for (const repo of o.repos()) {
      t += rng.int(o.gapSeconds[0], o.gapSeconds[1]) * 1000;
      ep.attack('github-audit', t, ghGit(rng, t, o.action, actor, repo, token, o.ua));
    }
  });
}

function rotatorFor(c: AttackPlanContext, u: IamUserActor) {
  return c.pop.rotators.get(u.user.account)!;
}

/** A planned episode: its variant, victim and builder (the truth is read from the builder at the end). */
export interface PlannedEpisode {
  variant: Variant;
  victim: Actor;
  builder: EpisodeBuilder;
}

/**
 * Chooses victims and days for the catalogue variants the parameters ask for and schedules their
 * steps. Exclusive variants (a rotation of the victim's key) go first and take victims to themselves;
 * the others prefer victims no episode has used yet. A variant with no possible victim is skipped.
 */
export function planAttacks(c: AttackPlanContext): PlannedEpisode[] {
  const wanted = c.params.attacks;
  if (Array.isArray(wanted) && wanted.length === 0) return [];
  const variants = CATALOGUE.filter((v) => wanted === 'all' || v.detections.some((d) => wanted.includes(d)));
  const order = [...variants.filter((v) => v.exclusive), ...variants.filter((v) => !v.exclusive)];
  const uses = new Map<Actor, number>();
  const reserved = new Set<Actor>();
  const planned: PlannedEpisode[] = [];
  const window = Math.max(1, c.params.days - c.attackFrom);
  for (const variant of order) {
    const candidates = c.pop.actors.filter(
      (a) => variant.victim(a) && !reserved.has(a) && (!variant.exclusive || (uses.get(a) ?? 0) === 0),
    );
    if (candidates.length === 0) continue;
    const index = CATALOGUE.indexOf(variant);
    const day = variant.day?.(c, index) ?? c.attackFrom + (index % window);
    if (day < 0 || day >= c.params.days) continue;
    let victim = candidates[0]!;
    for (const a of candidates) if ((uses.get(a) ?? 0) < (uses.get(victim) ?? 0)) victim = a;
    uses.set(victim, (uses.get(victim) ?? 0) + 1);
    if (variant.exclusive) reserved.add(victim);
    const rng = createRng(seedOf(c.params.seed, 'attack', variant.name));
    const id = `ep-${String(index + 1).padStart(2, '0')}-${variant.name.replaceAll('.', '-')}`;
    const builder = new EpisodeBuilder(id, variant, variant.identity?.(victim) ?? victim.profile.id, c.emit);
    const tz = victim.profile.tzOffsetHours;
    variant.plan({ ...c, hook: (t, run) => c.hook(t, run, tz) }, victim, builder, rng, day);
    planned.push({ variant, victim, builder });
  }
  return planned.sort((a, b) => CATALOGUE.indexOf(a.variant) - CATALOGUE.indexOf(b.variant));
}
