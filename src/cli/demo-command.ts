import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { termSafe } from '../report/terminal.js';
import type { Scenario } from '../scenario/types.js';
import { alertTable, runDetect } from './detect-command.js';
import type { CliIO } from './io.js';

interface DemoFlags {
  dir: string;
  identities: string;
  days: string;
  seed: string;
  store?: string;
  serve?: boolean;
  listen: string;
}

function positive(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new WardenError('WARDEN_USAGE', `${name} takes a whole number from 1 to ${max}, not "${value}"`);
  return n;
}

/**
 * The build-time half meeting the runtime half: a small repository that leaked one of the estate's AWS
 * keys (the one an attack later uses from a new network), scanned, then imported with the logs into
 * the identity graph, and the riskiest identities shown.
 */
async function correlateDemo(
  dir: string,
  scenario: Scenario,
  learnUntil: string,
  seed: number,
  flags: DemoFlags,
  io: CliIO,
): Promise<void> {
  const attack = scenario.truth.find((e) => e.variant === 'new-source.aws-key-from-vps');
  const key = attack?.credentials.find((k) => k.startsWith('AKIA'));
  if (key === undefined) return;
  const { loadConfig } = await import('../model/config.js');
  const { runScan } = await import('../scan/index.js');
  const { createRandom, expandExample } = await import('../scan/secrets/examples.js');
  const { importEvents, importFindings, listRisk, openStore, rescoreGraph } = await import('../store/index.js');
  const { emptyTelemetryStats, groupFilesBySource, normalizeRecords, recordsOfFiles } = await import('../telemetry/normalize.js');
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'deploy'), { recursive: true });
  // Synthetic, from the seed: the key id the logs use and a made-up secret beside it.
  const secret = expandExample('@@b64:40@@', createRandom(seed)).replace(/[+/=]/g, 'x');
  writeFileSync(join(repo, 'deploy/.env'), `AWS_ACCESS_KEY_ID=${key}\nAWS_SECRET_ACCESS_KEY=${secret}\n`);
  const { findings } = await runScan({ root: repo, mode: 'tree', config: loadConfig(repo), threads: 1 });
  const store = await openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
  try {
    // The demo's leak was found when the attacks begin (a real import takes the commit date or now).
    await importFindings(store, findings, { repo: 'demo/repo', visibility: 'private', foundAt: learnUntil });
    const logs = scenario.files.map((f) => join(dir, f.name));
    const stats = emptyTelemetryStats();
    let events = 0;
    for (const group of await groupFilesBySource(logs))
      events += (await importEvents(store, normalizeRecords(recordsOfFiles(group, io.stdin), {}, stats))).imported;
    // Scored as of the end of the synthetic week, not today: its identities are not stale.
    await rescoreGraph(store, { now: Math.max(Date.parse(learnUntil), ...scenario.truth.map((e) => Date.parse(e.end))) });
    const top = await listRisk(store, { kind: 'identity', limit: 3 });
    io.stderr(
      `\nwarden demo: scanned ${repo} (${findings.length} finding(s)) and imported it with ${events} events into the identity graph. Riskiest identities:\n`,
    );
    for (const r of top)
      io.stderr(
        `  ${String(r.score).padStart(3)} ${r.band.padEnd(8)} ${termSafe(r.id.slice(9), 60)}  ${termSafe(r.factors[0]?.reasons.join('; '), 120)}\n`,
      );
    // A key id is no secret (the logs carry it); the secret stays in the demo repository only.
    io.stderr(`Next: warden risk · warden risk ${key} · warden blast-radius ${key}\n`);
  } finally {
    await store.close();
  }
}

/**
 * `warden demo --serve`: a fresh admin token on the demo's store (printed once: it is the newcomer's own
 * laptop), then `warden serve` until a signal.
 */
async function serveDemo(flags: DemoFlags, io: CliIO): Promise<number> {
  const { openStore } = await import('../store/index.js');
  const { createToken } = await import('../store/tokens.js');
  const { parseListen, runServe } = await import('./serve-command.js');
  const { host, port } = parseListen(flags.listen);
  const store = await openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
  let token: string;
  try {
    ({ token } = await createToken(store, { name: `demo-${Date.now().toString(36)}`, role: 'admin' }));
  } finally {
    await store.close();
  }
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  io.stderr(`\nDashboard: open http://${where}/ and sign in with this token (shown once):\n\n  ${token}\n\n`);
  return runServe({ listen: flags.listen, ...(flags.store ? { store: flags.store } : {}) }, io);
}

/**
 * `warden demo`: the runtime half on the embedded store, with nothing to set up. Writes a synthetic
 * estate's logs (CloudTrail, Vault, Kubernetes, GitHub, Okta, agent traces) with planted attacks,
 * replays them through `warden detect` into the SQLite store, and says how many attacks were found.
 */
export function registerDemo(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description(
      'generate synthetic NHI telemetry with planted attacks, detect them, and correlate a leaked key with its use (SQLite store, no server)',
    )
    .option('--dir <dir>', 'where the generated logs go', '.warden/demo')
    .option('--identities <n>', 'non-human identities in the synthetic estate', '40')
    .option('--days <n>', 'days of telemetry; attacks fall in the last two', '7')
    .option('--seed <n>', 'seed for the generator (same seed, same logs, same alerts)', '1')
    .option('--store <path|url>', 'state store (default: WARDEN_DATABASE_URL, else .warden/warden.db)')
    .option('--serve', 'then open the dashboard on this store: warden serve with a fresh sign-in token')
    .option('--listen <host:port>', 'where --serve listens', '127.0.0.1:8080')
    .addHelpText(
      'after',
      `
Examples:
  $ warden demo
  $ warden demo --identities 200 --days 14 --seed 7
  $ warden demo --serve                                     then the dashboard at http://127.0.0.1:8080/
  $ warden detect --replay .warden/demo --format ocsf        the same logs, as OCSF findings

The logs are synthetic (no real credential or host); truth.json beside them lists the planted attacks.`,
    )
    .action(async (flags: DemoFlags) => {
      const identities = positive(flags.identities, '--identities', 5000);
      const days = positive(flags.days, '--days', 60);
      if (days < 3) throw new WardenError('WARDEN_USAGE', '--days needs at least 3: the detector learns before the attacks');
      const seed = positive(flags.seed, '--seed', 2 ** 31);
      const { generateScenario, writeScenario } = await import('../scenario/generate.js');
      const dir = resolve(io.cwd, flags.dir);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const start = '2026-01-05';
      const scenario = generateScenario({ seed, identities, days, start, attacks: 'all', attackDays: 2 });
      writeScenario(dir, scenario);
      const files = scenario.files.map((f) => join(dir, f.name));
      const learnUntil = new Date(Date.parse(`${start}T00:00:00Z`) + (days - 2) * 86_400_000).toISOString();
      io.stderr(
        `warden demo: ${files.length} log files for ${identities} identities over ${days} days in ${flags.dir}; learning until ${learnUntil}, ${scenario.truth.length} attacks planted after it\n\n`,
      );
      // Alerts come back as JSON lines so each can be matched to the planted attack it is about;
      // people get the table, pipes get the JSON lines as they are.
      const found = new Set<string>();
      const table = io.stdoutIsTTY ? alertTable(io) : undefined;
      if (table) io.stdout(table.header());
      const code = await runDetect(
        {
          replay: files,
          format: 'jsonl',
          learnUntil,
          persist: true,
          minSeverity: 'low',
          ...(flags.store ? { store: flags.store } : {}),
        },
        {
          ...io,
          stdout: (s) => {
            for (const line of s.split('\n')) {
              if (!line) continue;
              const a = JSON.parse(line) as Alert;
              for (const ep of scenario.truth)
                if (ep.identity === a.identity.id && (ep.detections as readonly string[]).includes(a.detectionId))
                  found.add(ep.id);
              io.stdout(table ? table.row(a) : `${line}\n`);
            }
          },
        },
      );
      io.stderr(
        `\nwarden demo: alerts for ${found.size} of ${scenario.truth.length} planted attacks; state and alerts are in the store (.warden/warden.db unless --store).\n`,
      );
      // What was missed matters as much as what was found: name each planted attack with no alert.
      const missed = scenario.truth.filter((ep) => !found.has(ep.id));
      if (missed.length === 0) io.stderr('missed: none, every planted attack raised an alert\n');
      else {
        io.stderr(`missed ${missed.length} planted attack(s), no alert named them:\n`);
        for (const ep of missed)
          io.stderr(
            `  ${termSafe(ep.id, 40)}  ${termSafe(ep.title, 60)}  (${termSafe(ep.identity, 60)}; expected ${ep.detections.join(' or ')})\n`,
          );
      }
      if (code === 2) {
        setExit(code);
        return;
      }
      await correlateDemo(dir, scenario, learnUntil, seed, flags, io);
      if (!flags.serve) {
        io.stderr('Dashboard: warden demo --serve   (or warden token create --name you --role analyst, then warden serve)\n');
        setExit(code);
        return;
      }
      setExit(await serveDemo(flags, io));
    });
}
