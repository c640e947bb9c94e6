import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import { EVENT_SOURCES, type EventSource, type IdentityEvent } from '../model/identity-event.js';
import { createTable, terminalWidth, termSafe } from '../report/terminal.js';
import type { TelemetryStats } from '../telemetry/normalize.js';
import { MAX_DECOMPRESSED_HELP, sizeFlag } from './flags.js';
import type { CliIO } from './io.js';
import { requireInputs, requireOutput } from './paths.js';

interface EventsFlags {
  replay?: string[];
  follow?: string[];
  format: 'jsonl' | 'json' | 'table';
  sourceType?: EventSource;
  stats?: boolean;
  output?: string;
  maxDecompressed?: string;
}

/** The --stats report: records, events and rejections per source and reason. */
export function formatStats(stats: TelemetryStats): string {
  const lines = [`records ${stats.records}, events ${stats.events}`];
  for (const [source, s] of Object.entries(stats.bySource))
    lines.push(`  ${termSafe(source).padEnd(13)} records ${s!.records}  events ${s!.events}`);
  const rejected = Object.entries(stats.rejected).sort((a, b) => b[1] - a[1]);
  if (rejected.length > 0) {
    lines.push(`rejected ${rejected.reduce((a, [, n]) => a + n, 0)}:`);
    for (const [key, n] of rejected) {
      const sample = stats.samples.find((s) => `${s.source}/${s.reason}` === key);
      const where = sample?.origin.file ? ` (first at ${termSafe(sample.origin.file, 120)}:${sample.origin.line ?? '?'})` : '';
      lines.push(`  ${termSafe(key).padEnd(32)} ${n}${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The events table: streamed, so its columns are sized to the terminal up front. */
function eventTable(io: CliIO): { header: () => string; row: (e: IdentityEvent) => string } {
  const t = createTable(
    [
      { header: 'TIME', size: 20, min: 20 },
      { header: 'SOURCE', size: 12, min: 9, optional: true },
      { header: 'IDENTITY', size: 40, min: 16 },
      { header: 'ACTION', size: 32, min: 12 },
      { header: 'OUTCOME', size: 7, min: 7 },
      { header: 'IP', size: 15, min: 15 },
      { header: 'TAGS', size: 24, min: 8, optional: true },
    ],
    terminalWidth(io),
  );
  return {
    header: t.header,
    row: (e) =>
      t.row([
        `${e.time.slice(0, 19)}Z`,
        e.source,
        e.identity.name ?? e.identity.id,
        e.action,
        e.outcome,
        e.client.ip ?? '',
        e.tags.join(','),
      ]),
  };
}

/** `warden events`: normalised identity events from log files, stdin, or followed files. */
export function registerEvents(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('events')
    .description('normalise telemetry (Vault, CloudTrail, Kubernetes, GitHub, Okta, agent traces, OCSF) into identity events')
    .option('--replay <files...>', 'read these files (gzip or not; "-" for standard input) to the end')
    .option('--follow <files...>', 'follow these files as they grow, across rotation and truncation (Ctrl-C stops)')
    .addOption(
      new Option('-f, --format <format>', 'jsonl (one event per line), json (one JSON array) or table')
        .choices(['jsonl', 'json', 'table'])
        .default('jsonl'),
    )
    .addOption(
      new Option('--source-type <type>', 'read every record as this format instead of detecting it').choices(EVENT_SOURCES),
    )
    .option('--stats', 'print records, events and rejections per source and reason to standard error')
    .option('-o, --output <file>', 'write events to a file')
    .option('--max-decompressed <size>', MAX_DECOMPRESSED_HELP)
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
      const read = { maxDecompressedBytes: sizeFlag(flags.maxDecompressed, '--max-decompressed') };
      const out = flags.output ? createWriteStream(requireOutput(flags.output, io)) : undefined;
      const write = out ? (s: string) => out.write(s) : io.stdout;
      const table = flags.format === 'table' ? eventTable(io) : undefined;
      if (table) write(table.header());
      // --format json: one array, streamed element by element so memory stays flat.
      let first = true;
      const emit = (e: IdentityEvent) => {
        if (table) write(table.row(e));
        else if (flags.format === 'json') {
          write(`${first ? '[' : ','}${JSON.stringify(e)}\n`);
          first = false;
        } else write(`${JSON.stringify(e)}\n`);
      };
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      try {
        if (replay.length) {
          const files = expandInputs(replay);
          for await (const e of normalizeRecords(recordsOfFiles(files, io.stdin, read), options, stats)) {
            emit(e);
          }
        }
        if (flags.follow?.length) {
          const files = flags.follow.map((f) => resolve(io.cwd, f));
          for await (const e of normalizeRecords(followFiles(files, { signal: controller.signal }), options, stats)) {
            emit(e);
          }
        }
        if (flags.format === 'json') write(first ? '[]\n' : ']\n');
      } finally {
        process.off('SIGINT', stop);
        if (out) await new Promise((r) => out.end(r));
      }
      if (flags.stats) io.stderr(formatStats(stats));
      setExit(0);
    });
}
