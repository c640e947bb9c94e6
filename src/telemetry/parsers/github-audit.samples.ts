/**
 * Synthetic GitHub audit log records, shaped as enterprise audit log streaming and the JSON export write
 * them (one JSON object a line), for the parser tests, the fuzz test and the benchmarks.
 *
 * Values are made up: orgs and logins are examples, IPs come from the documentation ranges (RFC 5737),
 * and each `hashed_token` is the base64 SHA-256 of random bytes drawn from a seeded PRNG at run time, so
 * it names no real token. Field sets follow GitHub's "Audit log events for your enterprise" and "About
 * token data in the audit log" pages.
 */
import { createHash } from 'node:crypto';
import { createRandom, randomChars } from '../../model/random.js';

const ORG = 'example-org';
const BUSINESS = 'example-enterprise';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEXU = '0123456789ABCDEF';

/**
 * A realistic mix of GitHub audit log records covering every mapping case: git clone/fetch/push by a
 * classic PAT, a fine-grained PAT, a GitHub App installation token, github-actions[bot] and an OAuth
 * token (including a burst of clones across many repositories by one token), repo.download_zip, token
 * lifecycle (fine-grained PAT request/grant/revoke, OAuth access create/destroy, app installation),
 * privilege changes (member role, team, repo collaborator, branch protection, Actions secrets), a
 * webhook, a secret scanning alert, a rejected push, a completed workflow run and an old export line
 * with only `created_at`. All records parse to events.
 *
 * @example
 * for (const r of sampleRecords(7)) parser.push(r, {});
 */
export function sampleRecords(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const chars = (alphabet: string, n: number): string => randomChars(alphabet, n, rnd);
  const hashedToken = () => {
    const bytes = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rnd() * 256);
    return createHash('sha256').update(bytes).digest('base64');
  };
  const docId = () => chars(B64URL, 22);
  const requestId = () => `${chars(HEXU, 4)}:${chars(HEXU, 4)}:${chars(HEXU, 7)}:${chars(HEXU, 7)}:${chars(HEXU, 8)}`;
  const ip = () => `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${1 + Math.floor(rnd() * 254)}`;
  let clock = Date.UTC(2024, 4, 14, 9, 0, 0) + Math.floor(rnd() * 3_600_000);
  const at = (step = 60_000) => {
    clock += 500 + Math.floor(rnd() * step);
    return clock;
  };
  const id = () => 1_000_000 + Math.floor(rnd() * 90_000_000);

  const orgId = id();
  const businessId = 3000 + Math.floor(rnd() * 1000);
  const people = {
    alice: { login: 'alice-admin', id: id(), country: 'DE', ip: ip() },
    bob: { login: 'bob-dev', id: id(), country: 'US', ip: ip() },
    build: { login: 'svc-build', id: id(), country: 'US', ip: ip() },
  };
  const repos = [
    'payments',
    'web',
    'infra',
    'mobile',
    'docs',
    'billing',
    'auth',
    'search',
    'ml-models',
    'data-pipeline',
    'ops-scripts',
    'sdk',
  ].map((name) => ({
    name: `${ORG}/${name}`,
    id: id(),
  }));
  const classicPat = { hashed: hashedToken(), id: id(), scopes: 'repo,workflow,read:org' };
  const fineGrainedPat = { hashed: hashedToken(), id: id() };
  const appToken = hashedToken();
  const actionsToken = hashedToken();
  const oauthToken = { hashed: hashedToken(), id: id() };

  const base = (action: string, actor: { login: string; id: number; country: string; ip: string } | undefined, time = at()) => {
    const r: Record<string, unknown> = {
      '@timestamp': time,
      _document_id: docId(),
      action,
    };
    if (actor !== undefined) {
      r.actor = actor.login;
      r.actor_id = actor.id;
      r.actor_ip = actor.ip;
      r.actor_is_bot = actor.login.endsWith('[bot]');
      r.actor_location = { country_code: actor.country };
    }
    r.business = BUSINESS;
    r.business_id = businessId;
    r.created_at = time;
    r.org = ORG;
    r.org_id = orgId;
    r.request_access_security_header = null;
    return r;
  };
  const git = (
    action: string,
    actor: { login: string; id: number; country: string; ip: string },
    repo: { name: string; id: number },
    token: { hashed: string; type: string; id: number; scopes?: string },
    userAgent: string,
    time?: number,
  ) => ({
    ...base(action, actor, time),
    external_id: '',
    hashed_token: token.hashed,
    operation_type: 'access',
    programmatic_access_type: token.type,
    repo: repo.name,
    repo_id: repo.id,
    repository: repo.name,
    repository_public: false,
    token_id: token.id,
    ...(token.scopes !== undefined ? { token_scopes: token.scopes } : {}),
    request_id: requestId(),
    transport_protocol: 1,
    transport_protocol_name: 'http',
    user: '',
    user_agent: userAgent,
    user_id: 0,
  });
  const records: unknown[] = [];
  const appBot = { login: 'deploy-helper[bot]', id: id(), country: 'US', ip: ip() };
  const actionsBot = { login: 'github-actions[bot]', id: 41898282, country: 'US', ip: ip() };

  // Everyday git traffic.
  records.push(
    git(
      'git.clone',
      people.build,
      repos[0]!,
      { hashed: classicPat.hashed, type: 'Personal access token (classic)', id: classicPat.id, scopes: classicPat.scopes },
      'git/2.43.2',
    ),
  );
  records.push(
    git('git.fetch', appBot, repos[2]!, { hashed: appToken, type: 'GitHub App server-to-server token', id: 0 }, 'go-git/5.x'),
  );
  records.push(
    git(
      'git.push',
      actionsBot,
      repos[1]!,
      { hashed: actionsToken, type: 'GitHub App server-to-server token', id: 0 },
      'git/2.45.1',
    ),
  );
  records.push(
    git(
      'git.clone',
      people.bob,
      repos[4]!,
      { hashed: oauthToken.hashed, type: 'OAuth access token', id: oauthToken.id, scopes: 'repo,gist' },
      'git/2.39.3 (Apple Git-146)',
    ),
  );
  records.push({
    ...base('repo.download_zip', people.bob),
    hashed_token: fineGrainedPat.hashed,
    operation_type: 'access',
    programmatic_access_type: 'Fine-grained personal access token',
    public_repo: false,
    repo: repos[5]!.name,
    repo_id: repos[5]!.id,
    token_id: fineGrainedPat.id,
    user_agent: 'curl/8.6.0',
  });

  // A burst: one classic PAT cloning every repository within minutes (what spike detection counts).
  const burstIp = ip();
  for (const repo of repos) {
    records.push(
      git(
        'git.clone',
        { ...people.build, ip: burstIp, country: 'NL' },
        repo,
        { hashed: classicPat.hashed, type: 'Personal access token (classic)', id: classicPat.id, scopes: classicPat.scopes },
        'git/2.34.1',
        at(4000),
      ),
    );
  }

  // Fine-grained PAT lifecycle in the org: request, grant, later revoke (token_id names the token).
  records.push({
    ...base('personal_access_token.request_created', people.bob),
    operation_type: 'create',
    permissions_added: { repository: { contents: 'read', metadata: 'read' } },
    repositories: [repos[5]!.id],
    repository_selection: 'subset',
    token_id: fineGrainedPat.id,
    user: people.bob.login,
    user_id: people.bob.id,
    user_programmatic_access_name: 'billing-export',
    user_agent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  });
  records.push({
    ...base('personal_access_token.access_granted', people.alice),
    operation_type: 'create',
    permissions: { repository: { contents: 'read', metadata: 'read' } },
    repositories: [repos[5]!.id],
    repository_selection: 'subset',
    token_id: fineGrainedPat.id,
    user: people.bob.login,
    user_id: people.bob.id,
    user_programmatic_access_name: 'billing-export',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });

  // OAuth app token created and destroyed by its user; a GitHub App installed on the org.
  records.push({
    ...base('oauth_access.create', people.bob),
    oauth_application: 'Example CI',
    oauth_application_id: id(),
    operation_type: 'create',
    token_id: oauthToken.id,
    token_scopes: 'repo,gist',
    user: people.bob.login,
    user_id: people.bob.id,
    user_agent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  });
  records.push({
    ...base('integration_installation.create', people.alice),
    integration: 'deploy-helper',
    name: 'deploy-helper',
    operation_type: 'create',
    repository_selection: 'all',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });

  // Privilege changes.
  records.push({
    ...base('org.update_member', people.alice),
    old_permission: 'read',
    operation_type: 'modify',
    permission: 'admin',
    user: people.build.login,
    user_id: people.build.id,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });
  records.push({
    ...base('team.add_member', people.alice),
    operation_type: 'modify',
    team: `${ORG}/platform-admins`,
    user: people.build.login,
    user_id: people.build.id,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });
  records.push({
    ...base('repo.add_member', people.alice),
    operation_type: 'modify',
    permission: 'write',
    public_repo: false,
    repo: repos[6]!.name,
    repo_id: repos[6]!.id,
    user: people.bob.login,
    user_id: people.bob.id,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });
  records.push({
    ...base('protected_branch.destroy', people.build),
    branch: 'main',
    hashed_token: classicPat.hashed,
    name: 'main',
    operation_type: 'remove',
    programmatic_access_type: 'Personal access token (classic)',
    public_repo: false,
    repo: repos[0]!.name,
    repo_id: repos[0]!.id,
    token_id: classicPat.id,
    token_scopes: classicPat.scopes,
    user_agent: 'python-requests/2.31.0',
  });
  records.push({
    ...base('protected_branch.policy_override', people.alice),
    branch: 'main',
    operation_type: 'modify',
    overridden_codes: ['required_status_checks'],
    public_repo: false,
    reasons: [{ code: 'required_status_checks', message: '2 of 3 required status checks are expected.' }],
    repo: repos[1]!.name,
    repo_id: repos[1]!.id,
    user_agent: 'git/2.43.0',
  });
  records.push({
    ...base('environment.create_actions_secret', people.build),
    environment_name: 'production',
    hashed_token: classicPat.hashed,
    key: 'AWS_DEPLOY_ROLE_ARN',
    operation_type: 'create',
    programmatic_access_type: 'Personal access token (classic)',
    public_repo: false,
    repo: repos[0]!.name,
    repo_id: repos[0]!.id,
    token_id: classicPat.id,
    token_scopes: classicPat.scopes,
    user_agent: 'GitHub CLI 2.49.0',
  });
  records.push({
    ...base('org.update_actions_secret', people.alice),
    key: 'NPM_TOKEN',
    operation_type: 'modify',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });
  records.push({
    ...base('hook.create', people.bob),
    active: true,
    config: { content_type: 'json', insecure_ssl: '0', url: 'https://hooks.example.net/github' },
    events: ['push', 'pull_request'],
    hook_id: id(),
    name: 'webhook',
    operation_type: 'create',
    public_repo: false,
    repo: repos[3]!.name,
    repo_id: repos[3]!.id,
    user_agent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  });

  records.push({
    ...base('repo.create', people.bob),
    operation_type: 'create',
    public_repo: false,
    repo: `${ORG}/scratch-${chars('abcdefghijklmnopqrstuvwxyz', 5)}`,
    repo_id: id(),
    request_category: 'other',
    user_agent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    visibility: 'private',
  });

  // GitHub's own events: a secret scanning alert (no actor) and a rejected push.
  records.push({
    ...base('secret_scanning_alert.create', undefined),
    alert_number: 1 + Math.floor(rnd() * 40),
    operation_type: 'create',
    public_repo: false,
    repo: repos[7]!.name,
    repo_id: repos[7]!.id,
    secret_type: 'aws_access_key_id',
  });
  records.push({
    ...base('protected_branch.rejected_ref_update', people.bob),
    branch: 'main',
    operation_type: 'modify',
    public_repo: false,
    repo: repos[0]!.name,
    repo_id: repos[0]!.id,
    user_agent: 'git/2.43.0',
  });

  // A workflow run (its run id becomes the workload), then the user's token lifecycle ends.
  records.push({
    ...base('workflows.completed_workflow_run', people.bob),
    completed_at: new Date(at()).toISOString(),
    conclusion: pick(['success', 'success', 'failure']),
    event: 'push',
    head_branch: 'main',
    head_sha: chars('0123456789abcdef', 40),
    name: 'deploy',
    operation_type: 'modify',
    public_repo: false,
    repo: repos[0]!.name,
    repo_id: repos[0]!.id,
    run_attempt: 1,
    run_number: 812,
    started_at: new Date(clock - 180_000).toISOString(),
    trigger_id: id(),
    workflow_id: id(),
    workflow_run_id: id(),
  });
  records.push({
    ...base('oauth_access.destroy', people.bob),
    oauth_application: 'Example CI',
    oauth_application_id: id(),
    operation_type: 'remove',
    token_id: oauthToken.id,
    user: people.bob.login,
    user_id: people.bob.id,
    user_agent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  });
  records.push({
    ...base('personal_access_token.access_revoked', people.alice),
    operation_type: 'remove',
    repository_selection: 'subset',
    token_id: fineGrainedPat.id,
    user: people.bob.login,
    user_id: people.bob.id,
    user_programmatic_access_name: 'billing-export',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  });
  // The revoked fine-grained PAT used again (what reuse-after-revocation looks for).
  records.push({
    ...base('repo.download_zip', { ...people.bob, ip: ip(), country: 'SG' }),
    hashed_token: fineGrainedPat.hashed,
    operation_type: 'access',
    programmatic_access_type: 'Fine-grained personal access token',
    public_repo: false,
    repo: repos[5]!.name,
    repo_id: repos[5]!.id,
    token_id: fineGrainedPat.id,
    user_agent: 'python-requests/2.31.0',
  });

  // An older JSON export line: no @timestamp or _document_id, nested `data`.
  records.push({
    actor: people.alice.login,
    org: ORG,
    data: { team: `${ORG}/release-managers` },
    created_at: at(),
    action: 'team.add_repository',
    repo: repos[11]!.name,
    actor_location: { country_code: people.alice.country },
  });

  return records;
}
