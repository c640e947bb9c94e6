import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import { EVENT_SOURCES, type EventSource, type IdentityEvent } from '../model/identity-event.js';
import type { TelemetryStats } from '../telemetry/normalize.js';
import type { CliIO } from './io.js';
import { requireInputs, requireOutput } from './paths.js';

interface EventsFlags {
  replay?: string[];
  follow?: string[];
  format: 'jsonl' | 'table';
  sourceType?: EventSource;
  stats?: boolean;
  output?: string;
}

/** The --stats report: records, events and rejections per source and reason. */
export function formatStats(stats: TelemetryStats): string {
  const lines = [`records ${stats.records}, events ${stats.events}`];
  for (const [source, s] of Object.entries(stats.bySource))
    lines.push(`  ${source.padEnd(13)} records ${s!.records}  events ${s!.events}`);
  const rejected = Object.entries(stats.rejected).sort((a, b) => b[1] - a[1]);
  if (rejected.length > 0) {
    lines.push(`rejected ${rejected.reduce((a, [, n]) => a + n, 0)}:`);
    for (const [key, n] of rejected) {
      const sample = stats.samples.find((s) => `${s.source}/${s.reason}` === key);
      const where = sample?.origin.file ? ` (first at ${sample.origin.file}:${sample.origin.line ?? '?'})` : '';
      lines.push(`  ${key.padEnd(32)} ${n}${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function tableRow(e: IdentityEvent): string {
  const who = e.identity.name ?? e.identity.id;
  const tags = e.tags.length ? ` [${e.tags.join(',')}]` : '';
  return `${e.time}  ${e.source.padEnd(12)} ${who.slice(0, 40).padEnd(40)} ${e.action.slice(0, 40).padEnd(40)} ${e.outcome.padEnd(7)} ${e.client.ip ?? ''}${tags}\n`;
}

/** `warden events`: normalised identity events from log files, stdin, or followed files. */
export function registerEvents(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('events')
    .description('normalise telemetry (Vault, CloudTrail, Kubernetes, GitHub, Okta, agent traces, OCSF) into identity events')
    .option('--replay <files...>', 'read these files (gzip or not; "-" for standard input) to the end')
    .option('--follow <files...>', 'follow these files as they grow, across rotation and truncation (Ctrl-C stops)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['jsonl', 'table']).default('jsonl'))
    .addOption(
      new Option('--source-type <type>', 'read every record as this format instead of detecting it').choices(EVENT_SOURCES),
    )
    .option('--stats', 'print records, events and rejections per source and reason to standard error')
    .option('-o, --output <file>', 'write events to a file')
    .addHelpText(
      'after',
      `
Examples:
  $ warden events --replay vault_audit.log cloudtrail/*.json.gz --stats
  $ warden events --replay k8s-audit.log --format table
  $ cat okta.jsonl | warden events --replay - --source-type okta
  $ warden events --follow /var/log/vault_audit.log

Every record becomes an event or a counted rejection with a reason; a bad record never costs its neighbours.
The event contract is docs/identity-event.schema.json.`,
    )
    .action(async (flags: EventsFlags) => {
      const { followFiles } = await import('../telemetry/follow.js');
      const { emptyTelemetryStats, expandInputs, normalizeRecords, recordsOfFiles } = await import('../telemetry/normalize.js');
      if (!flags.replay?.length && !flags.follow?.length) {
        throw new WardenError('WARDEN_USAGE', 'give files to read with --replay FILE... or --follow FILE...');
      }
      const replay = requireInputs(flags.replay ?? [], io);
      const stats = emptyTelemetryStats();
      const options = { sourceType: flags.sourceType };
      const out = flags.output ? createWriteStream(requireOutput(flags.output, io)) : undefined;
      const write = out ? (s: string) => out.write(s) : io.stdout;
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      try {
        if (replay.length) {
          const files = expandInputs(replay);
          for await (const e of normalizeRecords(recordsOfFiles(files, io.stdin), options, stats)) {
            write(flags.format === 'jsonl' ? `${JSON.stringify(e)}\n` : tableRow(e));
          }
        }
        if (flags.follow?.length) {
          const files = flags.follow.map((f) => resolve(io.cwd, f));
          for await (const e of normalizeRecords(followFiles(files, { signal: controller.signal }), options, stats)) {
            write(flags.format === 'jsonl' ? `${JSON.stringify(e)}\n` : tableRow(e));
          }
        }
      } finally {
        process.off('SIGINT', stop);
        if (out) await new Promise((r) => out.end(r));
      }
      if (flags.stats) io.stderr(formatStats(stats));
      setExit(0);
    });
}
