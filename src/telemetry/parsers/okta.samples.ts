import { createRandom, randomChars } from '../../model/random.js';

/**
 * Synthetic Okta System Log records, shaped as `GET /api/v1/logs` returns LogEvent objects (nulls
 * where Okta writes them) and one Event Hook delivery. Documentation IP ranges (RFC 5737), made-up
 * ids, no secrets. Every record becomes at least one event; the cases:
 * human sign-in (success, failure, MFA deny, SSO), policy CHALLENGE, service-app client_credentials
 * grant (success and denied), refresh-token grant, token revocation (custom and org authorization
 * server), refresh-token reuse (both servers), API token create / use / revoke, admin role grants
 * (user, group, OAuth client), client secret creation, a SystemPrincipal action, an Event Hook.
 * @example for (const r of sampleRecords(7)) parser.push(r, { line: 1 })
 */
export function sampleRecords(seed = 1): unknown[] {
  const g = gen(seed);
  const admin = g.user('dana.admin');
  const dev = g.user('lee.dev');
  const app = g.app('billing-sync');
  const agentApp = g.app('support-agent-mcp');
  const as = { id: g.id('aus'), name: 'default' };
  const apiToken = { id: g.id('00T'), name: 'terraform-okta-provider' };
  const browser = g.client('browser');
  const script = g.client('python-requests/2.32.3');
  const golang = g.client('okta-sdk-golang/5.0.2 golang/go1.22.5 linux/amd64');

  const records: unknown[] = [
    g.event({
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      legacyEventType: 'core.user_auth.login_success',
      actor: admin,
      client: browser,
      authenticationContext: g.authn('PASSWORD'),
      target: null,
      debugContext: { debugData: { requestUri: '/idp/idx/identify', url: '/idp/idx/identify?', threatSuspected: 'false' } },
    }),
    g.event({
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      legacyEventType: 'core.user_auth.login_failed',
      severity: 'WARN',
      actor: dev,
      client: g.client('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'),
      outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
      authenticationContext: g.authn('PASSWORD'),
      target: null,
      debugContext: { debugData: { requestUri: '/idp/idx/challenge/answer', threatSuspected: 'false' } },
    }),
    g.event({
      eventType: 'user.authentication.auth_via_mfa',
      displayMessage: 'Authentication of user via MFA',
      legacyEventType: 'core.user.factor.attempt_fail',
      severity: 'WARN',
      actor: dev,
      client: browser,
      outcome: { result: 'DENY', reason: 'User rejected Okta push verify' },
      authenticationContext: { ...g.authn('OTP'), credentialProvider: 'OKTA_CREDENTIAL_PROVIDER' },
      target: [
        {
          id: g.id('pfd'),
          type: 'AuthenticatorEnrollment',
          alternateId: 'unknown',
          displayName: 'Okta Verify',
          detailEntry: null,
        },
      ],
    }),
    g.event({
      eventType: 'user.authentication.sso',
      displayMessage: 'User single sign on to app',
      legacyEventType: 'app.auth.sso',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [
        {
          id: g.id('0oa'),
          type: 'AppInstance',
          alternateId: 'AWS IAM Identity Center',
          displayName: 'AWS IAM Identity Center',
          detailEntry: { signOnModeType: 'SAML_2_0' },
        },
      ],
    }),
    g.event({
      eventType: 'policy.evaluate_sign_on',
      displayMessage: 'Evaluation of sign-on policy',
      actor: dev,
      client: browser,
      outcome: { result: 'CHALLENGE', reason: 'Sign-on policy evaluation resulted in CHALLENGE' },
      authenticationContext: g.authn(null),
      target: [
        { id: g.id('rul'), type: 'Rule', alternateId: 'unknown', displayName: 'Require MFA off network', detailEntry: null },
      ],
    }),
    // A service app signs in with client_credentials and gets an access token.
    g.event({
      eventType: 'app.oauth2.as.token.grant.access_token',
      displayMessage: 'OAuth2 access token is granted',
      actor: app,
      client: golang,
      authenticationContext: g.authn(null),
      target: [g.token('access_token', app.id, 60)],
      debugContext: {
        debugData: {
          grantType: 'client_credentials',
          requestedScopes: 'billing.read billing.write',
          grantedScopes: 'billing.read billing.write',
          clientAuthType: 'private_key_jwt',
          authorizationServer: as.name,
          requestUri: `/oauth2/${as.id}/v1/token`,
          url: `/oauth2/${as.id}/v1/token?`,
        },
      },
    }),
    g.event({
      eventType: 'app.oauth2.as.token.grant',
      displayMessage: 'OAuth2 token grant request',
      severity: 'WARN',
      actor: app,
      client: g.client('curl/8.5.0'),
      outcome: { result: 'FAILURE', reason: 'no_matching_scope' },
      authenticationContext: g.authn(null),
      target: null,
      debugContext: {
        debugData: {
          grantType: 'client_credentials',
          requestedScopes: 'okta.users.manage',
          requestUri: `/oauth2/${as.id}/v1/token`,
        },
      },
    }),
    g.event({
      eventType: 'app.oauth2.as.token.grant.refresh_token',
      displayMessage: 'OAuth2 refresh token is granted',
      actor: agentApp,
      client: script,
      authenticationContext: g.authn(null),
      target: [g.token('refresh_token', dev.id, 7 * 24 * 60)],
      debugContext: {
        debugData: {
          grantType: 'refresh_token',
          grantedScopes: 'offline_access tickets.read',
          requestUri: `/oauth2/${as.id}/v1/token`,
        },
      },
    }),
    g.event({
      eventType: 'app.oauth2.as.token.revoke',
      displayMessage: 'OAuth2 token revocation request',
      actor: agentApp,
      client: script,
      authenticationContext: g.authn(null),
      target: [g.token('refresh_token', dev.id, 0)],
      debugContext: { debugData: { tokenType: 'refresh_token', requestUri: `/oauth2/${as.id}/v1/revoke` } },
    }),
    g.event({
      eventType: 'app.oauth2.token.revoke',
      displayMessage: 'OAuth2 token revocation request',
      actor: app,
      client: golang,
      authenticationContext: g.authn(null),
      target: [g.token('access_token', app.id, 0)],
      debugContext: { debugData: { tokenType: 'access_token', requestUri: '/oauth2/v1/revoke' } },
    }),
    // A refresh token already rotated out is presented again: Okta revokes the family.
    g.event({
      eventType: 'app.oauth2.as.token.detect_reuse',
      displayMessage: 'Detect reuse of a refresh token',
      severity: 'WARN',
      actor: agentApp,
      client: g.client('python-httpx/0.27.0', 'Frankfurt'),
      outcome: { result: 'FAILURE', reason: 'refresh_token_reuse' },
      authenticationContext: g.authn(null),
      target: [g.token('refresh_token', dev.id, 0)],
      debugContext: { debugData: { grantType: 'refresh_token', requestUri: `/oauth2/${as.id}/v1/token` } },
    }),
    g.event({
      eventType: 'app.oauth2.token.detect_reuse',
      displayMessage: 'Detect reuse of a refresh token',
      severity: 'WARN',
      actor: agentApp,
      client: script,
      outcome: { result: 'FAILURE', reason: 'refresh_token_reuse' },
      authenticationContext: g.authn(null),
      target: [g.token('refresh_token', admin.id, 0)],
      debugContext: { debugData: { grantType: 'refresh_token', requestUri: '/oauth2/v1/token' } },
    }),
    g.event({
      eventType: 'system.api_token.create',
      displayMessage: 'Create API token',
      legacyEventType: 'api.token.create',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [{ id: apiToken.id, type: 'Token', alternateId: 'unknown', displayName: apiToken.name, detailEntry: null }],
      debugContext: { debugData: { requestUri: '/api/internal/tokens', url: '/api/internal/tokens?' } },
    }),
    // Terraform using that SSWS token: the request carries requestApiTokenId.
    g.event({
      eventType: 'user.lifecycle.suspend',
      displayMessage: 'Suspend Okta user',
      legacyEventType: 'core.user.config.user_status.suspended',
      actor: admin,
      client: g.client('Terraform/1.9.5 terraform-provider-okta/4.11.0'),
      authenticationContext: g.authn(null),
      transaction: { type: 'WEB', id: g.txn(), detail: { requestApiTokenId: apiToken.id } },
      target: [{ id: dev.id, type: 'User', alternateId: dev.alternateId, displayName: dev.displayName, detailEntry: null }],
      debugContext: { debugData: { requestUri: `/api/v1/users/${dev.id}/lifecycle/suspend`, dtHash: g.hex(64) } },
    }),
    g.event({
      eventType: 'group.user_membership.add',
      displayMessage: 'Add user to group membership',
      legacyEventType: 'core.user_group_member.user_add',
      actor: admin,
      client: g.client('Terraform/1.9.5 terraform-provider-okta/4.11.0'),
      authenticationContext: g.authn(null),
      transaction: { type: 'WEB', id: g.txn(), detail: { requestApiTokenId: apiToken.id } },
      target: [
        { id: dev.id, type: 'User', alternateId: dev.alternateId, displayName: dev.displayName, detailEntry: null },
        { id: g.id('00g'), type: 'UserGroup', alternateId: 'unknown', displayName: 'platform-oncall', detailEntry: null },
      ],
    }),
    g.event({
      eventType: 'system.api_token.revoke',
      displayMessage: 'Revoke API token',
      legacyEventType: 'api.token.revoke',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [{ id: apiToken.id, type: 'Token', alternateId: 'unknown', displayName: apiToken.name, detailEntry: null }],
    }),
    g.event({
      eventType: 'user.account.privilege.grant',
      displayMessage: 'Grant user privilege',
      legacyEventType: 'core.user.admin_privilege.granted',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [{ id: dev.id, type: 'User', alternateId: dev.alternateId, displayName: dev.displayName, detailEntry: null }],
      debugContext: {
        debugData: { privilegeGranted: 'Super administrator', requestUri: `/api/internal/administrators/${dev.id}` },
      },
    }),
    g.event({
      eventType: 'group.privilege.grant',
      displayMessage: 'Grant group privilege',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [{ id: g.id('00g'), type: 'UserGroup', alternateId: 'unknown', displayName: 'helpdesk', detailEntry: null }],
      debugContext: { debugData: { privilegeGranted: 'Help Desk administrator' } },
    }),
    g.event({
      eventType: 'app.oauth2.client.privilege.grant',
      displayMessage: 'Grant admin role to client app',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [
        {
          id: agentApp.id,
          type: 'PublicClientApp',
          alternateId: agentApp.alternateId,
          displayName: agentApp.displayName,
          detailEntry: null,
        },
      ],
      debugContext: { debugData: { privilegeGranted: 'Read-only administrator' } },
    }),
    g.event({
      eventType: 'app.oauth2.credentials.lifecycle.create',
      displayMessage: 'Create client secret',
      actor: admin,
      client: browser,
      authenticationContext: g.authn(null),
      target: [
        { id: app.id, type: 'AppInstance', alternateId: app.displayName, displayName: app.displayName, detailEntry: null },
        { id: g.id('ocs'), type: 'Client Secret', alternateId: 'unknown', displayName: 'Client secret', detailEntry: null },
      ],
    }),
    // Okta itself locks an account after repeated failures.
    g.event({
      eventType: 'user.account.lock',
      displayMessage: 'Max sign in attempts exceeded',
      legacyEventType: 'core.user_auth.account_locked',
      severity: 'WARN',
      actor: {
        id: 'system@okta.com',
        type: 'SystemPrincipal',
        alternateId: 'system@okta.com',
        displayName: 'Okta System',
        detailEntry: null,
      },
      client: { userAgent: null, zone: 'null', device: null, id: null, ipAddress: null, geographicalContext: null },
      authenticationContext: g.authn(null),
      target: [{ id: dev.id, type: 'User', alternateId: dev.alternateId, displayName: dev.displayName, detailEntry: null }],
      request: { ipChain: [] },
    }),
  ];
  // An Event Hook delivery wraps LogEvents in data.events.
  records.push({
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source: `https://example.okta.com/api/v1/eventHooks/${g.id('who')}`,
    eventId: g.uuid(),
    data: {
      events: [
        g.event({
          eventType: 'user.session.start',
          displayMessage: 'User login to Okta',
          actor: dev,
          client: browser,
          authenticationContext: g.authn('PASSWORD'),
          target: null,
        }),
      ],
    },
    eventTime: g.time(),
    contentType: 'application/json',
  });
  return records;
}

interface Actor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

const PLACES = [
  {
    city: 'Amsterdam',
    state: 'North Holland',
    country: 'Netherlands',
    postalCode: '1012',
    geolocation: { lat: 52.3759, lon: 4.8975 },
    ip: '192.0.2.',
  },
  {
    city: 'Ashburn',
    state: 'Virginia',
    country: 'United States',
    postalCode: '20149',
    geolocation: { lat: 39.0437, lon: -77.4875 },
    ip: '198.51.100.',
  },
  {
    city: 'Frankfurt',
    state: 'Hesse',
    country: 'Germany',
    postalCode: '60313',
    geolocation: { lat: 50.1109, lon: 8.6821 },
    ip: '203.0.113.',
  },
];

/** Seeded builders (mulberry32), so a seed always gives the same records. */
function gen(seed: number) {
  const next = createRandom(seed);
  const chars = (set: string, n: number): string => randomChars(set, n, next);
  // Okta object ids are 20 characters: a 3-character kind prefix (00u user, 0oa app, 00T API token …).
  const id = (prefix: string): string => prefix + chars(ALNUM, 17);
  const hex = (n: number): string => chars(HEX, n);
  let clock = Date.UTC(2026, 2, 2, 8, 0, 0) + Math.floor(next() * 86_400_000) + (seed % 1000) * 86_400_000;
  const time = (): string => {
    clock += 1000 + Math.floor(next() * 90_000);
    return new Date(clock).toISOString();
  };
  const domain = `example${seed % 7}.com`;
  const user = (login: string): Actor => ({
    id: id('00u'),
    type: 'User',
    alternateId: `${login}@${domain}`,
    displayName: login.replace('.', ' '),
    detailEntry: null,
  });
  const app = (name: string): Actor => ({
    id: id('0oa'),
    type: 'PublicClientApp',
    alternateId: id('0oa'),
    displayName: name,
    detailEntry: null,
  });
  const place = PLACES[Math.floor(next() * PLACES.length)]!;
  const client = (rawUserAgent: string, city?: string) => {
    const p = PLACES.find((x) => x.city === city) ?? place;
    const { ip, ...geographicalContext } = p;
    const address = ip + (1 + Math.floor(next() * 250));
    const isBrowser = rawUserAgent === 'browser';
    return {
      userAgent: isBrowser
        ? {
            rawUserAgent:
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
            os: 'Mac OS X',
            browser: 'CHROME',
          }
        : { rawUserAgent, os: 'Unknown', browser: 'UNKNOWN' },
      zone: 'null',
      device: isBrowser ? 'Computer' : 'Unknown',
      id: null,
      ipAddress: address,
      geographicalContext,
    };
  };
  const authn = (credentialType: string | null) => ({
    authenticationProvider: credentialType === null ? null : 'OKTA_AUTHENTICATION_PROVIDER',
    credentialProvider: null,
    credentialType,
    issuer: null,
    interface: null,
    authenticationStep: 0,
    externalSessionId: credentialType === null ? 'unknown' : `102${chars(ALNUM, 22)}`,
  });
  const token = (type: 'access_token' | 'refresh_token', subject: string, minutes: number) => ({
    id: `${type === 'access_token' ? 'AT' : 'RT'}.${chars(`${ALNUM}-_`, 43)}`,
    type,
    alternateId: null,
    displayName: type === 'access_token' ? 'Access Token' : 'Refresh Token',
    detailEntry: {
      expires: new Date(clock + minutes * 60_000).toISOString(),
      subject,
      hash: chars(`${ALNUM}-_`, 22),
    },
  });
  const txn = (): string => chars(`${ALNUM}-_`, 27);
  const uuid = (): string => `${hex(8)}-${hex(4)}-11f${hex(1)}-${hex(4)}-${hex(12)}`;
  const event = (e: Record<string, unknown>) => {
    const c = e.client as { ipAddress: string | null; geographicalContext: unknown };
    return {
      actor: e.actor,
      client: e.client,
      device: null,
      authenticationContext: e.authenticationContext,
      displayMessage: e.displayMessage,
      eventType: e.eventType,
      outcome: e.outcome ?? { result: 'SUCCESS', reason: null },
      published: time(),
      securityContext:
        c.ipAddress === null ? { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null } : securityContext(next),
      severity: e.severity ?? 'INFO',
      debugContext: e.debugContext ?? { debugData: { requestId: txn() } },
      legacyEventType: e.legacyEventType ?? null,
      transaction: e.transaction ?? { type: 'WEB', id: txn(), detail: {} },
      uuid: uuid(),
      version: '0',
      request: e.request ?? {
        ipChain: [{ ip: c.ipAddress, geographicalContext: c.geographicalContext, version: 'V4', source: null }],
      },
      target: e.target,
    };
  };
  return { id, hex, time, user, app, client, authn, token, txn, uuid, event };
}

function securityContext(next: () => number) {
  const orgs = [
    { asNumber: 64496, asOrg: 'example transit', isp: 'example isp', domain: 'example.net', isProxy: false },
    { asNumber: 64511, asOrg: 'example hosting', isp: 'example cloud', domain: 'example.org', isProxy: next() < 0.3 },
  ];
  return orgs[Math.floor(next() * orgs.length)];
}
