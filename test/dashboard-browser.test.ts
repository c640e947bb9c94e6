import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { packageRoot } from '../src/model/package-root.js';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';
import { buildServer } from '../src/server/app.js';
import { createServerContext, type OwnedContext } from '../src/server/serve.js';
import { createToken } from '../src/store/tokens.js';
import { cli, tempDir } from './helpers.js';

/*
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser; .ci/run installs the package), on the demo's store served by the same app `warden serve`
 * builds, signed in with API tokens. Screenshots of every page go to .artifacts/screenshots/
 * (git-ignored) for people to look at; nothing asserts on pixels.
 */

const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = join(packageRoot(), '.artifacts', 'screenshots');

const { dir, cleanup } = tempDir('warden-dashboard-');
const db = join(dir, 'warden.db');
let base = '';
let app: FastifyInstance;
let ctx: OwnedContext;
let browser: Browser;
const tokens = { analyst: '', viewer: '', ingest: '', admin: '' };
/** A chat webhook on loopback: what the response playbook posts to, counted. */
const hook = { server: undefined as Server | undefined, posts: [] as string[], url: '' };
// The demo's leaked secret, rebuilt from its seed the way the demo builds it: no page may show it.
const demoSecret = expandExample('@@b64:40@@', createRandom(1)).replace(/[+/=]/g, 'x');

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const demo = await cli(['demo', '--dir', join(dir, 'demo'), '--store', db], { cwd: dir });
  assert.notEqual(demo.code, 2, demo.stderr);
  assert.match(demo.stderr, /warden demo --serve/, 'the demo names the command that opens the dashboard');
  // The server's working directory holds a policy manifest declaring the demo's cron identity and a
  // playbook that notifies a webhook and opens a review, with a person's approval.
  hook.server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hook.posts.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => hook.server!.listen(0, '127.0.0.1', r));
  const hp = hook.server.address();
  hook.url = `http://127.0.0.1:${typeof hp === 'object' && hp ? hp.port : 0}/services/T0/B0`;
  writeFileSync(
    join(dir, 'warden.policy.yaml'),
    [
      'version: 1',
      'identities:',
      '  metrics-cron:',
      '    owner: observability-team',
      '    description: nightly metrics export',
      '    match: ["arn:aws:iam::*:user/svc-metrics-cron"]',
      '    allow:',
      '      - actions: ["cloudwatch:GetMetricData", "s3:PutObject"]',
      '    credentials: { longLived: false }',
      'changes:',
      '  - reason: CHG-77 metrics export moves to the new VPC',
      '    from: "2026-01-10T00:00:00Z"',
      '    to: "2026-01-11T00:00:00Z"',
      '    owner: observability-team',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'warden.playbooks.yaml'),
    [
      'playbooks:',
      '  - id: page-and-review',
      '    when: { minSeverity: medium }',
      '    steps:',
      '      - action: notify.webhook',
      `        with: { url: "${hook.url}" }`,
      '      - action: review.related-identities',
      '    approval: required',
      '',
    ].join('\n'),
  );
  ctx = await createServerContext({ store: db, cwd: dir });
  tokens.analyst = (await createToken(ctx.store, { name: 'ana', role: 'analyst' })).token;
  tokens.viewer = (await createToken(ctx.store, { name: 'vic', role: 'viewer' })).token;
  tokens.ingest = (await createToken(ctx.store, { name: 'shipper', role: 'ingest' })).token;
  tokens.admin = (await createToken(ctx.store, { name: 'oncall', role: 'admin' })).token;
  app = await buildServer(ctx, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await ctx?.close();
  await new Promise((r) => hook.server?.close(r));
  cleanup();
});

async function newPage(
  options: { width?: number; height?: number; dark?: boolean } = {},
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.dark ? 'dark' : 'light',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) errors.push(m.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  return { page, context };
}

async function signIn(page: Page, token: string): Promise<void> {
  const res = await page.goto(`${base}/`);
  assert.equal(res?.status(), 401, 'a page without a session answers 401 (with the sign-in form)');
  const input = page.locator('input[type="password"]');
  await input.waitFor();
  assert.equal(await input.count(), 1, 'the page has one password-type input');
  await input.fill(token);
  await input.press('Enter');
  await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** Every write button the app can draw for an alert. */
const WRITE_BUTTONS = /save triage|plan response|approve and apply/i;

describe('dashboard in a real browser', { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}` }, () => {
  test('every page and data route answers 401 without a session', async () => {
    const routes = app.wardenRoutes.filter(
      (r) =>
        !r.access.public &&
        (r.url === '/' || /^\/(v1\/(dashboard|reports|session)|alerts|identit|findings|reports|signin)/.test(r.url)),
    );
    assert.ok(routes.length >= 15, routes.map((r) => r.url).join(' '));
    for (const r of routes) {
      const url = base + r.url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*/g, 'x');
      for (const accept of ['text/html', 'application/json']) {
        const res = await fetch(url, {
          method: r.method,
          headers: { accept, 'content-type': 'application/json' },
          ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: '{}' }),
        });
        assert.equal(res.status, 401, `${r.method} ${r.url} (${accept})`);
      }
    }
    // A forged or stale cookie is no session either.
    const forged = await fetch(`${base}/v1/dashboard/overview`, {
      headers: { cookie: 'warden_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    assert.equal(forged.status, 401);
    // Machines' tokens do not open dashboard sessions.
    const machine = await fetch(`${base}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tokens.ingest }),
    });
    assert.equal(machine.status, 403);
  });

  test('sign in, open the top incident, follow it to the leaked file and line and to the identity graph, triage it', async () => {
    const { page, context } = await newPage();
    await page.goto(`${base}/`);
    await shot(page, 'signin', false);
    await signIn(page, tokens.analyst);

    // The session is an HttpOnly, SameSite=Strict cookie; the token itself is nowhere in the browser.
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'warden_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
    assert.ok(!cookies.some((c) => c.value.includes(tokens.analyst)));
    assert.equal(await page.evaluate(() => document.cookie), '', 'script cannot read the session');
    assert.equal(await page.evaluate(() => JSON.stringify(localStorage).includes('wdn_')), false);

    // The overview shows what the API returns: the riskiest identity first, as `warden risk` ranks.
    const overview = (await (await page.request.get(`${base}/v1/dashboard/overview`)).json()) as {
      identities: { top: Array<{ label: string }> };
      incidents: { top: Array<{ uid: string; title: string; identityName: string }> };
    };
    const top = overview.incidents.top[0]!;
    assert.match(top.identityName, /svc-metrics-cron/, 'the leaked key in use from an unknown source is the top incident');
    await page.getByRole('heading', { name: 'Alerts over time' }).waitFor();
    assert.ok((await page.locator('.chart svg rect').count()) > 5, 'the chart draws bars');
    assert.ok(await page.getByText(overview.identities.top[0]!.label, { exact: true }).first().isVisible());
    await shot(page, 'overview', false);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await shot(page, 'overview-readme', false);
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot(page, 'overview-full');

    // Open the top incident.
    await page.locator('a.incident').first().click();
    await page.getByRole('heading', { name: top.title }).waitFor();
    assert.ok(page.url().endsWith(`/alerts/${top.uid}`));
    await page.getByRole('heading', { name: 'Evidence chain' }).waitFor();
    const location = page.locator('a.finding-location').first();
    assert.match((await location.textContent()) ?? '', /demo\/repo: deploy\/\.env:1/);
    await page.getByText('unknown source').first().waitFor();
    assert.ok((await page.locator('table tbody tr').count()) >= 1, 'the events behind the alert');
    await shot(page, 'alert');

    // Follow the leak to its file and line: the finding is listed, the secret is not.
    await location.click();
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    await page.locator('.location', { hasText: 'deploy/.env:1' }).first().waitFor();
    assert.ok(!(await page.content()).includes(demoSecret), 'the secret never reaches the page');
    await shot(page, 'findings');

    // Back to the alert, then to the identity and its blast radius.
    await page.goBack();
    await page.locator('a.identity-link').first().click();
    await page.getByRole('heading', { name: 'Blast radius' }).waitFor();
    const bucket = page.locator('g.node[role="button"]', { hasText: /example-corp/ }).first();
    await bucket.waitFor();
    // 200 objects of one bucket are one node, opened from the keyboard.
    assert.match((await bucket.getAttribute('aria-label')) ?? '', /\d{3} objects/);
    await bucket.focus();
    await page.keyboard.press('Enter');
    await page.locator('.graph .card li').nth(10).waitFor();
    // The manifest entry the server enforces: owner, file:line, what it may do, declared changes.
    const entry = page.locator('.manifest-entry');
    await entry.waitFor();
    assert.match((await entry.textContent()) ?? '', /metrics-cron\s*warden\.policy\.yaml:3/);
    assert.match((await entry.textContent()) ?? '', /cloudwatch:GetMetricData, s3:PutObject/);
    assert.match((await entry.textContent()) ?? '', /no long-lived keys/);
    assert.match((await entry.textContent()) ?? '', /CHG-77/);
    await page.getByText('observability-team').first().waitFor();
    assert.equal(await page.getByText('Non-human identity has no owner').count(), 0, 'a declared owner is an owner');
    await shot(page, 'identity');

    // Triage the incident with a reason; the API and the page agree afterwards.
    await page.goto(`${base}/alerts/${top.uid}`);
    await page.getByRole('button', { name: 'Save triage' }).waitFor();
    await page.getByLabel('New state').selectOption('acknowledged');
    await page.getByLabel(/Reason/).fill('owner paged; key rotation under way');
    await page.getByRole('button', { name: 'Save triage' }).click();
    await page.locator('[data-state="acknowledged"]').waitFor();
    await page.getByText('owner paged; key rotation under way').first().waitFor();
    const api = (await (await page.request.get(`${base}/v1/alerts/${top.uid}`)).json()) as Record<string, unknown>;
    assert.match(JSON.stringify(api), /acknowledged/);

    // A write with the cookie but without the session's CSRF token is refused.
    const csrfless = await page.request.patch(`${base}/v1/alerts/${top.uid}`, { data: { state: 'open', reason: 'x' } });
    assert.equal(csrfless.status(), 403);

    // The other pages render, then sign out ends the session.
    for (const [path, heading, name] of [
      ['/alerts', 'Alerts & incidents', 'alerts'],
      ['/identities', 'Identities', 'identities'],
      ['/reports', 'Reports', 'reports'],
    ] as const) {
      await page.goto(base + path);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await shot(page, name);
    }
    await page.getByRole('tab', { name: 'NIST CSF 2.0' }).click();
    await page.getByText('PR.AA-01', { exact: true }).first().waitFor();
    const exported = await page.request.get(`${base}/v1/reports/owasp-nhi?format=html&download=1`);
    assert.equal(exported.status(), 200);
    assert.match(exported.headers()['content-disposition'] ?? '', /attachment/);
    assert.match(await exported.text(), /^<!doctype html>/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[type="password"]').waitFor();
    assert.equal((await page.request.get(`${base}/v1/dashboard/overview`)).status(), 401);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });

  test('an admin plans a response, reads every call before anything runs, approves it, and it runs once', async () => {
    const { page, context } = await newPage();
    await signIn(page, tokens.admin);
    await page.locator('a.incident').first().click();
    await page.getByRole('heading', { name: 'Evidence chain' }).waitFor();
    await page.getByRole('button', { name: 'Plan response' }).click();
    const steps = page.locator('table.steps tbody tr');
    await steps.first().waitFor();
    assert.deepEqual(await steps.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.step)), [
      'notify.webhook',
      'review.related-identities',
    ]);
    // The plan names the call (the webhook's origin only: its path is a secret) and makes none.
    assert.match((await steps.first().textContent()) ?? '', /POST http:\/\/127\.0\.0\.1:\d+\/…/);
    assert.ok(!(await page.content()).includes('/services/T0/B0'), 'the webhook path never reaches the page');
    assert.equal(hook.posts.length, 0, 'planning calls nothing');
    await shot(page, 'response-plan');

    await page.getByRole('button', { name: 'Approve and apply' }).click();
    await page.locator('table.steps tbody tr[data-step="notify.webhook"][data-status="done"]').waitFor();
    await page.locator('table.steps tbody tr[data-step="review.related-identities"][data-status="done"]').waitFor();
    assert.equal(hook.posts.length, 1, 'the webhook got the incident once');
    assert.match(hook.posts[0]!, /svc-metrics-cron/);
    assert.equal(await page.getByRole('button', { name: 'Approve and apply' }).count(), 0, 'nothing left to apply');

    // Planned again, every step is done: applying twice does nothing the second time.
    await page.getByRole('button', { name: 'Plan response' }).click();
    await page.locator('table.steps tbody tr[data-status="done"]').nth(1).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve and apply' }).count(), 0);
    const { csrf } = (await (await page.request.get(`${base}/v1/session`)).json()) as { csrf: string };
    const uid = page.url().split('/alerts/')[1]!;
    const again = await page.request.post(`${base}/v1/alerts/${uid}/apply`, { data: {}, headers: { 'x-warden-csrf': csrf } });
    assert.equal(again.status(), 200);
    assert.equal(hook.posts.length, 1, 'a second apply posts nothing');
    const log = (await (await page.request.get(`${base}/v1/audit?limit=50`)).json()) as unknown;
    assert.match(JSON.stringify(log), /response\.(plan|step)/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });

  test('a viewer sees no button it may not press; the phone layout and the dark theme render', async () => {
    const { page, context } = await newPage({ width: 390, height: 844, dark: true });
    await signIn(page, tokens.viewer);
    await shot(page, 'phone-overview-dark', false);
    await page.locator('a.incident').first().click();
    await page.getByRole('heading', { name: 'Evidence chain' }).waitFor();
    assert.equal(await page.getByRole('button', { name: WRITE_BUTTONS }).count(), 0);
    assert.equal(await page.locator('form select[name="state"]').count(), 0);
    await shot(page, 'phone-alert-viewer');
    const { csrf } = (await (await page.request.get(`${base}/v1/session`)).json()) as { csrf: string };
    const res = await page.request.patch(`${base}/v1/alerts/x`, {
      data: { state: 'resolved' },
      headers: { 'x-warden-csrf': csrf },
    });
    assert.equal(res.status(), 403, 'the server refuses a viewer too');
    assert.equal(((await res.json()) as { code: string }).code, 'WARDEN_FORBIDDEN');
    await context.close();
  });
});
