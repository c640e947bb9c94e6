/**
 * SaaS identities: GitHub automation (GitHub App bots whose installation token changes every hour, and
 * machine users with a classic PAT) in the enterprise audit log stream, and Okta service apps getting
 * OAuth access tokens with client_credentials in the System Log.
 *
 * GitHub fields follow "Audit log events for your enterprise" and "Identifying audit log events
 * performed by an access token" (`hashed_token` = base64 SHA-256 of the token); Okta fields follow the
 * LogEvent object reference. Both mirror src/telemetry/parsers/{github-audit,okta}.samples.ts.
 */
import { createHash } from 'node:crypto';
import { ALNUM, type Rng } from './random.js';
import type { Activity, Actor, DayContext, Emit, IdentityProfile } from './types.js';
import { HOUR, MINUTE } from './types.js';
import { at, BUSINESS, dailyCount, egressIp, OKTA_AUTH_SERVER, ORG, REGIONS, spread } from './world.js';

type Rec = Record<string, unknown>;

const ORG_ID = 58_112_407;
const BUSINESS_ID = 3_412;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEXU = '0123456789ABCDEF';

/** `hashed_token` of a freshly minted token: base64 SHA-256 of random bytes (names no real token). */
export function hashedToken(rng: Rng): string {
  return createHash('sha256').update(rng.hex(64)).digest('base64');
}

export interface GhActor {
  login: string;
  id: number;
  ip: string;
  country: string;
}

export interface GhToken {
  hashed: string;
  type: string;
  id?: number;
  scopes?: string;
}

/** The common head of a GitHub audit event. */
export function ghBase(rng: Rng, t: number, action: string, actor: GhActor): Rec {
  return {
    '@timestamp': Math.floor(t),
    _document_id: rng.chars(B64URL, 22),
    action,
    actor: actor.login,
    actor_id: actor.id,
    actor_ip: actor.ip,
    actor_is_bot: actor.login.endsWith('[bot]'),
    actor_location: { country_code: actor.country },
    business: BUSINESS,
    business_id: BUSINESS_ID,
    created_at: Math.floor(t),
    org: ORG,
    org_id: ORG_ID,
  };
}

/** A token-authenticated git operation or archive download. */
export function ghGit(
  rng: Rng,
  t: number,
  action: string,
  actor: GhActor,
  repo: { name: string; id: number },
  token: GhToken,
  ua: string,
): Rec {
  const r: Rec = {
    ...ghBase(rng, t, action, actor),
    external_id: '',
    hashed_token: token.hashed,
    operation_type: action === 'git.push' ? 'modify' : 'access',
    programmatic_access_type: token.type,
    repo: repo.name,
    repo_id: repo.id,
    repository: repo.name,
    repository_public: false,
  };
  if (token.id !== undefined) r.token_id = token.id;
  if (token.scopes !== undefined) r.token_scopes = token.scopes;
  r.request_id = `${rng.chars(HEXU, 4)}:${rng.chars(HEXU, 4)}:${rng.chars(HEXU, 7)}:${rng.chars(HEXU, 7)}:${rng.chars(HEXU, 8)}`;
  r.transport_protocol = 1;
  r.transport_protocol_name = 'http';
  r.user_agent = ua;
  return r;
}

/** Repositories of the organisation, by name, with stable ids. */
export class Repos {
  private readonly byName = new Map<string, { name: string; id: number }>();
  constructor(private readonly rng: Rng) {}
  get(name: string): { name: string; id: number } {
    let r = this.byName.get(name);
    if (r === undefined) {
      r = { name: `${ORG}/${name}`, id: 100_000_000 + Math.floor(this.rng.next() * 800_000_000) };
      this.byName.set(name, r);
    }
    return r;
  }
  all(): Array<{ name: string; id: number }> {
    return [...this.byName.values()];
  }
}

/**
 * Automation on GitHub: a GitHub App bot (`name[bot]`, a new installation token each hour it works)
 * or a machine user with a classic PAT (identity type 'user' in the model: a PAT acts as its owner).
 */
export class GithubBotActor implements Actor {
  readonly profile: IdentityProfile;
  readonly actor: GhActor;
  readonly flavour: 'app' | 'pat';
  readonly repos: Array<{ name: string; id: number }>;
  readonly shape: 'always' | 'business' | 'batch';
  readonly tz: number;
  readonly ua: string;
  readonly batch: { hour: number; minute: number };
  readonly pat: GhToken;
  private hourToken: { hour: number; token: GhToken } | undefined;

  constructor(
    rng: Rng,
    name: string,
    repoNames: string[],
    repos: Repos,
    flavour: 'app' | 'pat',
    shape: 'always' | 'business' | 'batch',
    site: number,
  ) {
    const home = rng.pick(REGIONS);
    this.tz = home.tz;
    this.flavour = flavour;
    const login = flavour === 'app' ? `${name}[bot]` : `svc-${name}`;
    this.actor = { login, id: 100_000_000 + rng.int(0, 89_999_999), ip: egressIp(site, rng.int(0, 239)), country: home.country };
    this.repos = repoNames.map((r) => repos.get(r));
    this.shape = shape;
    this.ua = rng.pick(['git/2.43.0', 'git/2.45.2', 'JGit/6.9.0.202403050737-r']);
    this.batch = { hour: rng.int(0, 5), minute: rng.int(0, 59) };
    this.pat = {
      hashed: hashedToken(rng),
      type: 'Personal access token (classic)',
      id: rng.int(10_000_000, 99_999_999),
      scopes: 'repo',
    };
    this.profile = {
      id: login,
      kind: 'github-bot',
      source: 'github-audit',
      name: login,
      schedule: shape,
      tzOffsetHours: this.tz,
    };
  }

  /** The token presented at `t`: the PAT, or the installation token minted for that hour. */
  tokenAt(rng: Rng, t: number): GhToken {
    if (this.flavour === 'pat') return this.pat;
    const hour = Math.floor(t / HOUR);
    if (this.hourToken === undefined || this.hourToken.hour !== hour) {
      this.hourToken = { hour, token: { hashed: hashedToken(rng), type: 'GitHub App server-to-server token' } };
    }
    return this.hourToken.token;
  }

  private session(rng: Rng, emit: Emit, t0: number, ops: number): void {
    let t = t0;
    for (let i = 0; i < ops; i++) {
      t += rng.int(2, 60) * 1000;
      const repo = rng.pick(this.repos);
      const action =
        this.shape === 'always'
          ? rng.weighted([
              ['git.clone', 3],
              ['git.fetch', 4],
              ['git.push', 2],
            ] as const)
          : rng.weighted([
              ['git.clone', 7],
              ['git.fetch', 3],
            ] as const);
      emit('github-audit', t, ghGit(rng, t, action, this.actor, repo, this.tokenAt(rng, t), this.ua));
      if (action === 'git.push' && rng.chance(0.5)) {
        // The push triggers a workflow; its completion is logged with the bot as actor.
        const done = t + rng.int(2, 9) * MINUTE;
        emit('github-audit', done, {
          ...ghBase(rng, done, 'workflows.completed_workflow_run', this.actor),
          completed_at: new Date(done).toISOString(),
          conclusion: rng.chance(0.9) ? 'success' : 'failure',
          event: 'push',
          head_branch: `renovate/${rng.pick(['typescript', 'eslint', 'node', 'aws-sdk'])}-${rng.int(1, 9)}.x`,
          head_sha: rng.hex(40),
          name: 'ci',
          operation_type: 'modify',
          public_repo: false,
          repo: repo.name,
          repo_id: repo.id,
          run_attempt: 1,
          run_number: rng.int(100, 9000),
          started_at: new Date(t + 20_000).toISOString(),
          trigger_id: rng.int(1e9, 9e9),
          workflow_id: rng.int(1e7, 9e7),
          workflow_run_id: rng.int(1e9, 9e9),
        });
      }
    }
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    if (this.shape === 'batch') {
      // A nightly mirror: every repository fetched once.
      const t = at(ctx, rng, this.tz, this.batch.hour, this.batch.minute);
      return [
        { t, run: () => this.session(rng, emit, t, Math.max(this.repos.length, Math.round(this.repos.length * ctx.scale))) },
      ];
    }
    const n = dailyCount(ctx, rng, (this.shape === 'always' ? 14 : 10) * ctx.scale, this.shape);
    return spread(ctx, rng, this.tz, n, this.shape).map((t) => ({ t, run: () => this.session(rng, emit, t, rng.int(1, 4)) }));
  }
}

// ---------------------------------------------------------------- Okta

export interface OktaClient {
  ip: string;
  ua: string;
  geo: { city: string; state: string; country: string; postalCode: string; geolocation: { lat: number; lon: number } };
}

export const GEO = {
  US: {
    city: 'Ashburn',
    state: 'Virginia',
    country: 'United States',
    postalCode: '20149',
    geolocation: { lat: 39.0437, lon: -77.4875 },
  },
  IE: { city: 'Dublin', state: 'Leinster', country: 'Ireland', postalCode: 'D02', geolocation: { lat: 53.3498, lon: -6.2603 } },
  DE: { city: 'Frankfurt', state: 'Hesse', country: 'Germany', postalCode: '60313', geolocation: { lat: 50.1109, lon: 8.6821 } },
  NL: {
    city: 'Amsterdam',
    state: 'North Holland',
    country: 'Netherlands',
    postalCode: '1012',
    geolocation: { lat: 52.3759, lon: 4.8975 },
  },
  SG: {
    city: 'Singapore',
    state: 'Singapore',
    country: 'Singapore',
    postalCode: '018989',
    geolocation: { lat: 1.2897, lon: 103.8501 },
  },
} as const;

/** An Okta LogEvent of a service app's token request (success or failure). */
export function oktaGrant(
  rng: Rng,
  t: number,
  app: { id: string; name: string },
  client: OktaClient,
  scopes: string,
  failure?: string,
): Rec {
  const txn = rng.chars(`${ALNUM}-_`, 27);
  const ok = failure === undefined;
  return {
    actor: { id: app.id, type: 'PublicClientApp', alternateId: app.id, displayName: app.name, detailEntry: null },
    client: {
      userAgent: { rawUserAgent: client.ua, os: 'Unknown', browser: 'UNKNOWN' },
      zone: 'null',
      device: 'Unknown',
      id: null,
      ipAddress: client.ip,
      geographicalContext: client.geo,
    },
    device: null,
    authenticationContext: {
      authenticationProvider: null,
      credentialProvider: null,
      credentialType: null,
      issuer: null,
      interface: null,
      authenticationStep: 0,
      externalSessionId: 'unknown',
    },
    displayMessage: ok ? 'OAuth2 access token is granted' : 'OAuth2 token grant request',
    eventType: ok ? 'app.oauth2.as.token.grant.access_token' : 'app.oauth2.as.token.grant',
    outcome: ok ? { result: 'SUCCESS', reason: null } : { result: 'FAILURE', reason: failure },
    published: new Date(t).toISOString(),
    securityContext: { asNumber: 64496, asOrg: 'example transit', isp: 'example isp', domain: 'example.net', isProxy: false },
    severity: ok ? 'INFO' : 'WARN',
    debugContext: {
      debugData: {
        grantType: 'client_credentials',
        requestedScopes: scopes,
        ...(ok ? { grantedScopes: scopes } : {}),
        clientAuthType: 'client_secret_basic',
        authorizationServer: OKTA_AUTH_SERVER.name,
        requestUri: `/oauth2/${OKTA_AUTH_SERVER.id}/v1/token`,
        url: `/oauth2/${OKTA_AUTH_SERVER.id}/v1/token?`,
        requestId: rng.chars(`${ALNUM}-_`, 27),
      },
    },
    legacyEventType: null,
    transaction: { type: 'WEB', id: txn, detail: {} },
    uuid: `${rng.hex(8)}-${rng.hex(4)}-11f${rng.hex(1)}-${rng.hex(4)}-${rng.hex(12)}`,
    version: '0',
    request: { ipChain: [{ ip: client.ip, geographicalContext: client.geo, version: 'V4', source: null }] },
    target: ok
      ? [
          {
            id: `AT.${rng.chars(`${ALNUM}-_`, 43)}`,
            type: 'access_token',
            alternateId: null,
            displayName: 'Access Token',
            detailEntry: { expires: new Date(t + HOUR).toISOString(), subject: app.id, hash: rng.chars(`${ALNUM}-_`, 22) },
          },
        ]
      : null,
  };
}

/** An Okta service app: client_credentials every ~55 minutes (it caches its one-hour token). */
export class OktaAppActor implements Actor {
  readonly profile: IdentityProfile;
  readonly app: { id: string; name: string };
  readonly client: OktaClient;
  readonly scopes: string;
  readonly shape: 'always' | 'business';
  readonly tz: number;

  constructor(rng: Rng, name: string, site: number, shape: 'always' | 'business') {
    const home = rng.pick(REGIONS);
    this.tz = home.tz;
    this.app = { id: `0oa${rng.chars(ALNUM, 17)}`, name };
    this.client = {
      ip: egressIp(site, rng.int(0, 239)),
      ua: rng.pick([
        'okta-sdk-golang/5.0.2 golang/go1.22.5 linux/amd64',
        'okta-sdk-java/16.0.0 java/17.0.9 Linux/5.15.0',
        'python-requests/2.31.0',
        'Apache-HttpClient/4.5.14 (Java/17.0.9)',
        'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
      ]),
      geo: GEO[home.country as keyof typeof GEO] ?? GEO.US,
    };
    const api = name.split('-')[0];
    this.scopes = `${api}.read ${api}.write`;
    this.shape = shape;
    this.profile = { id: this.app.id, kind: 'okta-service-app', source: 'okta', name, schedule: shape, tzOffsetHours: this.tz };
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    const out: Activity[] = [];
    // Token refreshes: one an hour while working, a few extra when a new instance starts.
    const n = dailyCount(ctx, rng, (this.shape === 'always' ? 26 : 12) * Math.min(ctx.scale, 4), this.shape);
    const times = spread(ctx, rng, this.tz, n, this.shape);
    const failAt = rng.chance(0.03) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
    for (const [i, t] of times.entries()) {
      out.push({
        t,
        run: () => {
          if (i === failAt) {
            // A benign single failure: a deploy briefly asked for a scope the app does not have.
            emit(
              'okta',
              t - 5000,
              oktaGrant(rng, t - 5000, this.app, this.client, `${this.scopes} admin.read`, 'no_matching_scope'),
            );
          }
          emit('okta', t, oktaGrant(rng, t, this.app, this.client, this.scopes));
        },
      });
    }
    return out;
  }
}
