import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { runDetect, tableRow } from './detect-command.js';
import type { CliIO } from './io.js';

interface DemoFlags {
  dir: string;
  identities: string;
  days: string;
  seed: string;
  store?: string;
}

function positive(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new WardenError('WARDEN_USAGE', `${name} takes a whole number from 1 to ${max}, not "${value}"`);
  return n;
}

/**
 * `warden demo`: the runtime half on the embedded store, with nothing to set up. Writes a synthetic
 * estate's logs (CloudTrail, Vault, Kubernetes, GitHub, Okta, agent traces) with planted attacks,
 * replays them through `warden detect` into the SQLite store, and says how many attacks were found.
 */
export function registerDemo(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('generate synthetic NHI telemetry with planted attacks and detect them (SQLite store, no server)')
    .option('--dir <dir>', 'where the generated logs go', '.warden/demo')
    .option('--identities <n>', 'non-human identities in the synthetic estate', '40')
    .option('--days <n>', 'days of telemetry; attacks fall in the last two', '7')
    .option('--seed <n>', 'seed for the generator (same seed, same logs, same alerts)', '1')
    .option('--store <path|url>', 'state store (default: WARDEN_DATABASE_URL, else .warden/warden.db)')
    .addHelpText(
      'after',
      `
Examples:
  $ warden demo
  $ warden demo --identities 200 --days 14 --seed 7
  $ warden detect --replay .warden/demo --format ocsf        the same logs, as OCSF findings

The logs are synthetic (no real credential or host); truth.json beside them lists the planted attacks.`,
    )
    .action(async (flags: DemoFlags) => {
      const identities = positive(flags.identities, '--identities', 5000);
      const days = positive(flags.days, '--days', 60);
      if (days < 3) throw new WardenError('WARDEN_USAGE', '--days needs at least 3: the detector learns before the attacks');
      const seed = positive(flags.seed, '--seed', 2 ** 31);
      const { generateScenario, writeScenario } = await import('../detect/scenario/generate.js');
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
      const code = await runDetect(
        {
          replay: files,
          format: 'json',
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
                if (ep.identity === a.identity.id && ep.detections.includes(a.detectionId)) found.add(ep.id);
              io.stdout(io.stdoutIsTTY ? tableRow(a) : `${line}\n`);
            }
          },
        },
      );
      io.stderr(
        `\nwarden demo: alerts for ${found.size} of ${scenario.truth.length} planted attacks; state and alerts are in the store (.warden/warden.db unless --store).\n`,
      );
      setExit(code);
    });
}
