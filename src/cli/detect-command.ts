import { resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { type Command, Option } from 'commander';
import type { DetectorSnapshot } from '../detect/index.js';
import type { Alert } from '../model/alert.js';
import { loadConfig } from '../model/config.js';
import { WardenError } from '../model/errors.js';
import { EVENT_SOURCES, type EventSource } from '../model/identity-event.js';
import { SEVERITIES, type Severity, severityRank } from '../model/severity.js';
import { createTable, terminalWidth } from '../report/terminal.js';
import type { Store } from '../store/index.js';
import { replaysOnThread, runDetectOnThread } from './detect-thread.js';
import { formatStats } from './events-command.js';
import { MAX_DECOMPRESSED_HELP, sizeFlag, timeFlag } from './flags.js';
import type { CliIO } from './io.js';
import { requireInputs } from './paths.js';
import { policyFlag } from './policy-command.js';
import { checkKnownRuleSelectors, hasRuleSelectors } from './rule-check.js';

export interface DetectFlags {
  replay?: string[];
  follow?: string[];
  format?: 'ocsf' | 'json' | 'jsonl' | 'table';
  learnUntil?: string;
  sourceType?: EventSource;
  store?: string;
  persist: boolean;
  resume?: boolean;
  config?: string;
  minSeverity: Severity;
  failOn?: Severity;
  stats?: boolean;
  /** Sigma rule files or folders, on top of the bundled pack and `detect.rules` (repeatable). */
  rules?: string[];
  builtinRules?: boolean;
  policy?: string;
  maxDecompressed?: string;
}

/**
 * The alerts table for people: one line per alert sized to the terminal, its message wrapped below.
 * Streamed, so the header comes first and rows as alerts are raised.
 */
export function alertTable(io: CliIO): { header: () => string; row: (a: Alert) => string } {
  const width = terminalWidth(io);
  const t = createTable(
    [
      { header: 'FIRST SEEN', size: 20, min: 20 },
      { header: 'SEVERITY', size: 8, min: 8 },
      { header: 'DETECTION', size: 42, min: 20 },
      { header: 'IDENTITY', size: 40, min: 16 },
      { header: 'COUNT', size: 6, align: 'right' },
    ],
    width,
  );
  const message = createTable([{ header: '', wrap: true }], width, { indent: 4, wanted: [width] });
  return {
    header: t.header,
    row: (a) =>
      t.row([
        `${a.firstSeen.slice(0, 19)}Z`,
        a.severity.toUpperCase(),
        a.detectionId,
        a.identity.name ?? a.identity.id,
        `x${a.count}`,
      ]) + message.row([a.message]),
  };
}

const SCOPE_IDENTITY = 'detect.identity';
const SCOPE_CREDENTIAL = 'detect.credential';

async function loadSnapshot(store: Store): Promise<DetectorSnapshot> {
  const { getMeta, getStates } = await import('../store/index.js');
  const identities = await getStates(store, SCOPE_IDENTITY);
  const credentials = await getStates(store, SCOPE_CREDENTIAL);
  const watermark = (await getMeta(store, 'detect.watermark')) as number | undefined;
  return {
    version: 1,
    identities: [...identities] as Array<[string, object]>,
    credentials: [...credentials] as Array<[string, object]>,
    watermark: watermark ?? 0,
  };
}

async function saveSnapshot(store: Store, snap: DetectorSnapshot): Promise<void> {
  const { putStates, setMeta } = await import('../store/index.js');
  await putStates(
    store,
    SCOPE_IDENTITY,
    snap.identities.map(([key, state]) => ({ key, state })),
  );
  await putStates(
    store,
    SCOPE_CREDENTIAL,
    snap.credentials.map(([key, state]) => ({ key, state })),
  );
  await setMeta(store, 'detect.watermark', snap.watermark);
}

/** `warden detect`: identity events from logs → per-identity baselines and detections → OCSF Detection Findings. */
export function registerDetect(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('detect')
    .description('detect abuse of non-human identities in telemetry; alerts are OCSF Detection Findings')
    .option('--replay <files...>', 'read these log files to the end, merged in time order ("-" for standard input)')
    .option('--follow <files...>', 'follow these log files as they grow (Ctrl-C stops; state is saved)')
    .addOption(
      new Option(
        '-f, --format <format>',
        'ocsf (OCSF Detection Findings, JSON lines), jsonl (Warden alerts, JSON lines), json (Warden alerts, one JSON array at the end) or table (default on a terminal)',
      ).choices(['ocsf', 'json', 'jsonl', 'table']),
    )
    .option('--learn-until <time>', 'learn from events before this ISO time; alert only after it')
    .addOption(new Option('--source-type <type>', 'read every record as this format').choices(EVENT_SOURCES))
    .option(
      '--store <path|url>',
      'state store: a SQLite file or postgres:// URL (default: WARDEN_DATABASE_URL, else .warden/warden.db)',
    )
    .option('--no-persist', 'keep nothing: no state or alerts are written to the store')
    .option('--resume', 'with --replay: start from the state a previous run saved (--follow always does)')
    .option('--config <file>', 'config file (default: warden.config.yaml in the current directory)')
    .addOption(
      new Option('--min-severity <severity>', 'only report alerts at or above this severity').choices(SEVERITIES).default('low'),
    )
    .addOption(new Option('--fail-on <severity>', 'exit 1 when an alert is at or above this severity').choices(SEVERITIES))
    .option('--stats', 'print event, alert and rejection counts to standard error')
    .option(
      '--rules <path>',
      'Sigma rules (a .yml file or a folder), added to the bundled NHI pack and detect.rules (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--no-builtin-rules', 'do not run the bundled NHI rule pack (rules/detections/)')
    .option(
      '--policy <file>',
      'identity manifest: raise runtime.policy.violation on the first out-of-policy event of a declared identity',
    )
    .option('--max-decompressed <size>', MAX_DECOMPRESSED_HELP)
    .addHelpText(
      'after',
      `
Examples:
  $ warden detect --replay vault_audit.log cloudtrail/ k8s-audit.log            (a folder: every file below it)
  $ warden detect --replay logs/*.jsonl --learn-until 2026-03-01T00:00:00Z --format ocsf > findings.jsonl
  $ warden detect --follow /var/log/vault_audit.log --format table
  $ warden detect --replay cloudtrail/ --policy warden.policy.yaml          (declared expectations, no warm-up)
  $ WARDEN_DATABASE_URL=postgres://warden@db/warden warden detect --follow audit.log
  $ warden detect --replay cloudtrail/ --rules sigma/rules/cloud/aws --rules my-rules/

Replays are deterministic: the same files give the same alerts. One alert per identity and detection per
episode (count, first and last seen). Sigma rules (the bundled NHI pack, detect.rules and --rules) are
evaluated on every raw record; a match is an alert titled by the rule, its id the analytic uid. Tune thresholds and exceptions under "detect:" in warden.config.yaml.
Exit codes: 0 done (1 with --fail-on and a matching alert), 2 error.`,
    )
    .action(async (flags: DetectFlags) => setExit(await runDetect(flags, io)));
}

/**
 * The work of `warden detect`, callable by other commands (`warden demo`): returns the exit code.
 * A large replay of files runs on a thread of its own (detect-thread.ts), with the same output and result.
 */
export async function runDetect(flags: DetectFlags, io: CliIO): Promise<number> {
  if (isMainThread && replaysOnThread(flags, io.cwd)) return runDetectOnThread(flags, io);
  const { createDetector, manifestDetectorOptions, DETECTIONS, mergeBatchesByTime } = await import('../detect/index.js');
  const { toDetectionFinding } = await import('../report/ocsf.js');
  // The store's modules (database drivers, migrations) only when something is kept: --no-persist skips them.
  const storage = flags.persist ? await import('../store/index.js') : undefined;
  const { followFiles } = await import('../telemetry/follow.js');
  const { emptyTelemetryStats, expandInputs, groupFilesBySource, normalizeBatches, normalizeRecords, recordBatchesOfFiles } =
    await import('../telemetry/normalize.js');
  const ANALYTIC_TYPE = new Map<string, 'rule' | 'behavioral'>(DETECTIONS.map((d) => [d.meta.id, d.meta.type]));
  if (!flags.replay?.length && !flags.follow?.length) {
    throw new WardenError('WARDEN_USAGE', 'give log files with --replay FILE... or --follow FILE...');
  }
  const replay = requireInputs(flags.replay ?? [], io);
  const learnUntil = timeFlag(flags.learnUntil, '--learn-until');
  const read = { maxDecompressedBytes: sizeFlag(flags.maxDecompressed, '--max-decompressed') };
  const config = loadConfig(io.cwd, flags.config);
  // The manifest is read before any log: a broken one stops here with exit 2, nothing half-loaded.
  const manifest = policyFlag(io, flags.policy, false);
  if (config.detect.windows.length > 0)
    io.stderr(
      'warden: detect.windows in warden.config.yaml is deprecated: declare windows on the identity in warden.policy.yaml (warden policy init carries them over); they still apply meanwhile\n',
    );
  // Only a config that names rules needs every rule's id (loading them all costs a few hundred ms).
  if (hasRuleSelectors({}, config, { scan: false })) await checkKnownRuleSelectors({}, config, { scan: false });
  const format = flags.format ?? (io.stdoutIsTTY ? 'table' : 'ocsf');
  const following = Boolean(flags.follow?.length);
  const store = storage ? await storage.openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd }) : undefined;
  try {
    const initial = store && (following || flags.resume) ? await loadSnapshot(store) : undefined;
    // Exceptions learned from triage ("expected change") join the configured ones.
    const learned = store && storage ? await storage.learnedExceptions(store) : [];
    // The manifest's expectations and declared changes, and who its identities are.
    const declared = manifestDetectorOptions(manifest, config.detect);
    const detector = createDetector({
      config: {
        ...declared.config,
        ...(learned.length === 0 ? {} : { exceptions: [...config.detect.exceptions, ...learned] }),
        ...(flags.builtinRules === false ? { builtinRules: false } : {}),
      },
      rules: flags.rules,
      baseDir: io.cwd,
      severity: config.severity,
      learnUntil,
      emit: following ? 'first' : 'final',
      initial,
      expectations: declared.expectations,
      ownerOf: declared.ownerOf,
      nameOf: declared.nameOf,
    });
    const stats = emptyTelemetryStats();
    const minRank = severityRank(flags.minSeverity);
    const failRank = flags.failOn === undefined ? Number.POSITIVE_INFINITY : severityRank(flags.failOn);
    let failing = false;
    const pending: Alert[] = [];
    const table = format === 'table' ? alertTable(io) : undefined;
    // --format json: one document, each alert in its latest state, written when the run ends.
    const documentAlerts = new Map<string, Alert>();
    let headed = false;
    const seen = new Set<string>();
    const write = (a: Alert) => {
      if (severityRank(a.severity) < minRank) return;
      if (severityRank(a.severity) >= failRank) failing = true;
      const update = seen.has(a.uid);
      seen.add(a.uid);
      pending.push(a);
      if (table) {
        if (!headed) io.stdout(table.header());
        headed = true;
        io.stdout(table.row(a));
      } else if (format === 'jsonl') io.stdout(`${JSON.stringify(a)}\n`);
      else if (format === 'json') documentAlerts.set(a.uid, a);
      else
        io.stdout(`${JSON.stringify(toDetectionFinding(a, update ? 'update' : 'create', ANALYTIC_TYPE.get(a.detectionId)))}\n`);
    };
    const options = { sourceType: flags.sourceType };
    if (replay.length) {
      const files = expandInputs(replay);
      // One normaliser per source (files of one source in the order given), merged by time.
      const groups = await groupFilesBySource(files);
      // Batches of records and events from the files to the detector: one async step per batch, not per event.
      const streams = groups.map((g) => normalizeBatches(recordBatchesOfFiles(g, io.stdin, read), options, stats));
      // Progress on a terminal, as scan and import show it; never in pipes or CI logs.
      const progress = io.stderrIsTTY && !io.env.CI;
      let events = 0;
      let last = 0;
      for await (const batch of mergeBatchesByTime(streams)) {
        for (const e of batch) for (const a of detector.process(e)) write(a);
        events += batch.length;
        if (progress && Date.now() - last > 250) {
          last = Date.now();
          io.stderr(`\rdetecting: ${events.toLocaleString('en-US')} events, ${detector.stats.alerts} alerts`);
        }
      }
      if (progress) io.stderr(`\rdetecting: ${events.toLocaleString('en-US')} events, done\n`);
      for (const a of detector.finish()) write(a);
    } else {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let lastSave = Date.now();
      try {
        const files = (flags.follow ?? []).map((f) => resolve(io.cwd, f));
        for await (const e of normalizeRecords(followFiles(files, { signal: controller.signal }), options, stats)) {
          for (const a of detector.process(e)) write(a);
          if (store && storage && Date.now() - lastSave > 60_000) {
            lastSave = Date.now();
            await storage.upsertAlerts(store, pending.splice(0));
            await saveSnapshot(store, detector.snapshot());
          }
        }
        for (const a of detector.finish()) write(a);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }
    if (store && storage) {
      await storage.upsertAlerts(store, pending);
      await saveSnapshot(store, detector.snapshot());
    }
    if (format === 'json') io.stdout(`${JSON.stringify([...documentAlerts.values()])}\n`);
    if (flags.stats) {
      const d = detector.stats;
      io.stderr(formatStats(stats));
      io.stderr(
        `detector: ${d.events} events (${d.learned} learning only), ${d.identities} identities, ${d.credentials} credentials, ${d.alerts} alerts\n`,
      );
    }
    return failing ? 1 : 0;
  } finally {
    await store?.close();
  }
}
