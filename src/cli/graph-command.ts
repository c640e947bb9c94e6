import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, Option } from 'commander';
import type { BlastNode, BlastRadius } from '../correlate/blast.js';
import { RISK_BANDS } from '../correlate/risk.js';
import { WardenError } from '../model/errors.js';
import { EVENT_SOURCES, type EventSource } from '../model/identity-event.js';
import { createTable, DEFAULT_FIELD_MAX, formatTable, terminalWidth, termSafe } from '../report/terminal.js';
import type { Evidence, FindingDetail, IdentityDetail, IdentityRow, RiskRow, Store } from '../store/index.js';
import { timeFlag } from './flags.js';
import type { CliIO } from './io.js';
import { requireInputs } from './paths.js';

/*
 * The identity graph from the command line: `warden import` fills it, `warden identities`, `warden
 * risk` and `warden blast-radius` read it. Thin shells over src/store/graph-*.ts.
 */

interface StoreFlags {
  store?: string | undefined;
  format?: 'table' | 'json';
}

const STORE_HELP = 'graph store: a SQLite file or postgres:// URL (default: WARDEN_DATABASE_URL, else .warden/warden.db)';

/**
 * The graph store. Commands that only read it (`mustExist`) never create one: a mistyped `--store`
 * or an empty file is an error with a hint, not a silently new empty graph.
 */
async function open(flags: StoreFlags, io: CliIO, mustExist = false): Promise<Store> {
  const { openStore, parseStoreUrl } = await import('../store/index.js');
  const url = flags.store ?? io.env.WARDEN_DATABASE_URL;
  if (mustExist) {
    const where = parseStoreUrl(url, { dir: io.cwd });
    if (where.dialect === 'sqlite' && where.file !== ':memory:') {
      let size = -1;
      try {
        size = statSync(where.file).size;
      } catch {
        // missing
      }
      if (size <= 0)
        throw new WardenError(
          'WARDEN_STORE_MISSING',
          `no Warden store at ${termSafe(where.file)}${size === 0 ? ' (the file is empty)' : ''}: fill one with warden import or warden detect, or give --store / WARDEN_DATABASE_URL`,
        );
    }
  }
  return openStore(url, { dir: io.cwd });
}

function formatOf(flags: StoreFlags, io: CliIO): 'table' | 'json' {
  return flags.format ?? (io.stdoutIsTTY ? 'table' : 'json');
}

function when(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function head(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

interface ImportFlags extends StoreFlags {
  repo?: string;
  visibility: 'public' | 'private' | 'unknown';
  foundAt?: string;
  sourceType?: EventSource;
  rescore: boolean;
  staleDays?: string;
  asOf?: string;
  policy?: string;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new WardenError('WARDEN_USAGE', `${flag} takes a whole number above 0, not "${value}"`);
  return n;
}

async function runImport(files: string[], flags: ImportFlags, io: CliIO): Promise<number> {
  const { importEvents, importFindings, importInventory, importManifest, listRisk, rescoreGraph } = await import(
    '../store/index.js'
  );
  const { emptyTelemetryStats, expandInputs, groupFilesBySource, normalizeRecords, recordsOfFiles } = await import(
    '../telemetry/normalize.js'
  );
  const { looksLikeScanReport, readScanReport } = await import('../report/read.js');
  const { formatStats } = await import('./events-command.js');
  const foundAt = timeFlag(flags.foundAt, '--found-at');
  const staleDays = positiveInt(flags.staleDays, '--stale-days');
  const asOf = timeFlag(flags.asOf, '--as-of');
  const all = expandInputs(requireInputs(files, io));
  // Owners, aliases and declared grants from the manifest (--policy, else ./warden.policy.yaml).
  const { policyFlag } = await import('./policy-command.js');
  const manifest = policyFlag(io, flags.policy, true);
  if (all.length === 0 && manifest === undefined)
    throw new WardenError('WARDEN_USAGE', 'no files to import: give scan results (JSON or SARIF) or log files');
  const reports: string[] = [];
  const logs: string[] = [];
  for (const f of all) {
    if (f !== '-' && statSync(f).size < 512 * 1024 * 1024 && looksLikeScanReport(head(f))) reports.push(f);
    else logs.push(f);
  }
  const repo = flags.repo ?? basename(io.cwd);
  const summary = {
    reports: reports.length,
    findings: 0,
    relations: 0,
    rejected: [] as Array<{ file: string; index: number; reason: string }>,
    logs: logs.length,
    events: { imported: 0, skipped: 0 },
    rejectedRecords: 0,
    rescored: undefined as undefined | { identities: number; findings: number; posture: number; ms: number },
  };
  const store = await open(flags, io);
  try {
    if (manifest) summary.relations += (await importManifest(store, manifest)).imported;
    for (const file of reports) {
      let report: ReturnType<typeof readScanReport>;
      try {
        report = readScanReport(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new WardenError('WARDEN_INPUT_INVALID', `${file}: ${(err as Error).message}`);
      }
      for (const r of report.rejected) summary.rejected.push({ file, ...r });
      const f = await importFindings(store, report.findings, { repo, visibility: flags.visibility, foundAt });
      const i = await importInventory(store, report.inventory, { repo });
      summary.findings += f.imported;
      summary.relations += i.imported;
    }
    if (logs.length > 0) {
      const stats = emptyTelemetryStats();
      const groups = await groupFilesBySource(logs);
      const progress = io.stderrIsTTY
        ? (n: number) => io.stderr(`\rimporting events: ${n.toLocaleString('en-US')} read`)
        : undefined;
      for (const g of groups) {
        const r = await importEvents(
          store,
          normalizeRecords(recordsOfFiles(g, io.stdin), { sourceType: flags.sourceType }, stats),
          {
            onProgress: progress,
          },
        );
        summary.events.imported += r.imported;
        summary.events.skipped += r.skipped;
      }
      if (progress) io.stderr('\n');
      summary.rejectedRecords = Object.values(stats.rejected).reduce((a, n) => a + n, 0);
      if (summary.rejectedRecords > 0) io.stderr(formatStats(stats));
    }
    if (flags.rescore) {
      const t = performance.now();
      const r = await rescoreGraph(store, { staleDays, now: asOf });
      summary.rescored = { ...r, ms: Math.round(performance.now() - t) };
    }
    if (formatOf(flags, io) === 'json') io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      io.stdout(
        `imported ${summary.findings} findings and ${summary.relations} relations from ${summary.reports} scan report(s); ` +
          `${summary.events.imported} events from ${summary.logs} log file(s) (${summary.events.skipped} already in the graph, ${summary.rejectedRecords} rejected)\n`,
      );
      for (const r of summary.rejected.slice(0, 10))
        io.stdout(`  rejected ${termSafe(r.file)}#${r.index}: ${termSafe(r.reason)}\n`);
      if (summary.rescored) {
        io.stdout(
          `scored ${summary.rescored.identities} identities and ${summary.rescored.findings} findings (${summary.rescored.posture} posture issues) in ${summary.rescored.ms} ms\n`,
        );
        const top = await listRisk(store, { kind: 'identity', limit: 3 });
        if (top.length > 0)
          io.stdout(`top risk: ${top.map((t) => `${termSafe(t.label, 60)} ${t.score}`).join(', ')}  (warden risk)\n`);
      }
    }
    return summary.rejected.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** Posture rule ids, shortened, each once with a count: `identity.stale, credential.long-lived×3`. */
function postureSummary(posture: IdentityDetail['posture']): string {
  const counts = new Map<string, number>();
  for (const p of posture) {
    const id = p.ruleId.replace(/^graph\./, '');
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].map(([id, n]) => (n > 1 ? `${id}×${n}` : id)).join(', ');
}

function identityTable(rows: IdentityRow[], width: number): string {
  return formatTable(
    [
      { header: 'RISK', align: 'right' },
      { header: 'TYPE', min: 8 },
      { header: 'IDENTITY', min: 28 },
      { header: 'OWNER', min: 5 },
      { header: 'LAST SEEN', min: 10 },
      { header: 'CREDS', align: 'right' },
      { header: 'POSTURE', wrap: true, min: 8 },
    ],
    rows.map((r) => {
      const d = r.detail;
      return [
        r.score ?? '-',
        r.type,
        r.id.slice(9),
        d?.owners.join(',') || '-',
        when(d?.lastActive).slice(0, 10),
        d?.credentials ?? 0,
        postureSummary(d?.posture ?? []),
      ];
    }),
    width,
  );
}

function riskTable(rows: RiskRow[], kind: 'identity' | 'finding', width: number): string {
  const why = createTable([{ header: '', wrap: true }], width, { indent: 13, wanted: [width] });
  const head =
    kind === 'identity'
      ? createTable(
          [
            { header: 'RISK', size: 4, align: 'right' },
            { header: 'BAND', size: 8 },
            { header: 'IDENTITY', size: 60, min: 24 },
            { header: 'TYPE; EXPOSURE', size: 40, min: 12 },
          ],
          width,
        )
      : createTable(
          [
            { header: 'RISK', size: 4, align: 'right' },
            { header: 'BAND', size: 8 },
            { header: 'RULE', size: 30, min: 16 },
            { header: 'WHERE', size: 60, min: 20 },
            { header: 'PREVIEW', size: 16, min: 8 },
            { header: 'EXPOSURE', size: 24, min: 8 },
          ],
          width,
        );
  const lines: string[] = rows.length > 0 ? [head.header()] : [];
  for (const r of rows) {
    if (kind === 'identity') {
      const d = r.detail as IdentityDetail;
      lines.push(head.row([r.score, r.band, r.id.slice(9), `${d.type}; ${d.exposure}`]));
    } else {
      const d = r.detail as FindingDetail;
      const where = d.commit ? `history, commit ${d.commit.slice(0, 12)}` : 'working tree';
      lines.push(head.row([r.score, r.band, d.ruleId, `${d.repository}:${d.path}:${d.line} (${where})`, d.preview, d.exposure]));
    }
    for (const f of r.factors) lines.push(why.row([`${f.factor} ×${f.weight.toFixed(1)}: ${f.reasons.join('; ')}`]));
  }
  return lines.join('');
}

function evidenceText(e: Evidence): string {
  const t = (v: unknown, n = DEFAULT_FIELD_MAX) => termSafe(v, n);
  const lines = [`${e.subject.kind} ${t(e.subject.id.slice(e.subject.kind.length + 1))}`];
  if (e.risk) {
    lines.push(`risk ${e.risk.score} (${e.risk.band})`);
    for (const f of e.risk.factors)
      lines.push(`  ${f.factor.padEnd(13)} ×${f.weight.toFixed(2)}  ${t(f.reasons.join('; '), 400)}`);
    const posture = (e.risk.detail as IdentityDetail).posture ?? [];
    for (const p of posture) lines.push(`  posture: ${t(p.ruleId)} (${p.severity}) ${t(p.message, 400)}`);
  }
  if (e.identities.length > 0) lines.push(`identities: ${e.identities.map((i) => t(i.slice(9))).join(', ')}`);
  for (const c of e.credentials) lines.push(`credential ${t(c.label)}: ${t(c.exposure.status)}`);
  if (e.findings.length > 0) lines.push('findings:');
  for (const f of e.findings)
    lines.push(
      `  ${t(f.ruleId)} ${t(f.repository)}:${t(f.path)}:${f.line}${f.commit ? ` (commit ${t(f.commit.slice(0, 12))})` : ''}`,
    );
  if (e.uses.length > 0) lines.push('used from:');
  for (const u of e.uses.slice(0, 20)) {
    const ptr = u.event?.file ? `  ${t(u.event.file)}:${t(u.event.line ?? '?')}` : '';
    lines.push(
      `  ${u.unknown ? 'UNKNOWN ' : '        '}${t(u.source, 60).padEnd(36)} ${String(u.count).padStart(6)}×  ${when(u.firstSeen)} → ${when(u.lastSeen)}${ptr}`,
    );
  }
  if (e.alerts.length > 0) lines.push('alerts:');
  for (const a of e.alerts.slice(0, 20))
    lines.push(`  ${a.severity.padEnd(8)} ${t(a.detectionId)}  ${t(a.lastSeen)}  ${t(a.message, 400)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The blast radius for people: identities and credentials with their paths, resources grouped by
 * container with counts (203 objects of one bucket are one line), each section cut at `limit` rows.
 */
function blastText(b: BlastRadius, limit: number, width: number): string {
  const path = (n: BlastNode) => n.path.map((s) => `—${s.kind}→ ${s.to.slice(s.to.indexOf(':') + 1)}`).join(' ');
  const more = (n: number) => (n > limit ? `  … and ${n - limit} more (--limit, or --format json for all)\n` : '');
  const out = [`blast radius of ${termSafe(b.start)}${b.truncated ? ' (truncated: raise --depth to see further)' : ''}\n`];
  out.push(`\nidentities derivable: ${b.identities.length}\n`);
  if (b.identities.length > 0)
    out.push(
      formatTable(
        [
          { header: 'IDENTITY', min: 24 },
          { header: 'PATH', wrap: true, min: 20 },
        ],
        b.identities.slice(0, limit).map((n) => [n.id.slice(9), path(n)]),
        width,
        { indent: 2 },
      ),
      more(b.identities.length),
    );
  out.push(`\ncredentials obtainable: ${b.credentials.length}\n`);
  if (b.credentials.length > 0)
    out.push(
      formatTable(
        [
          { header: 'CREDENTIAL', min: 24 },
          { header: 'PATH', wrap: true, min: 20 },
        ],
        b.credentials.slice(0, limit).map((n) => [n.id.slice(11), path(n)]),
        width,
        { indent: 2 },
      ),
      more(b.credentials.length),
    );
  out.push(
    `\nresources reachable: ${b.resources.length} in ${b.containers.length} container${b.containers.length === 1 ? '' : 's'}\n`,
  );
  if (b.containers.length > 0)
    out.push(
      formatTable(
        [
          { header: 'CONTAINER', min: 24 },
          { header: 'COUNT', align: 'right' },
          { header: 'ACCESS', min: 7 },
          { header: 'ACTIONS', wrap: true, min: 16 },
        ],
        b.containers
          .slice(0, limit)
          .map((g) => [`${g.admin ? 'ADMIN ' : ''}${g.container}`, g.count, g.access.join('+') || '?', g.actions.join(', ')]),
        width,
        { indent: 2 },
      ),
      more(b.containers.length),
    );
  return out.join('');
}

async function resolveOrFail(store: Store, input: string): Promise<string> {
  const { resolveNode } = await import('../store/index.js');
  const id = await resolveNode(store, input);
  if (id === undefined)
    throw new WardenError(
      'WARDEN_NOT_FOUND',
      `"${input}" is not in the graph: run warden identities to list identities, or warden import first`,
    );
  return id;
}

/** `warden import`, `warden identities`, `warden risk`, `warden blast-radius`. */
export function registerGraph(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const storeOption = () => new Option('--store <path|url>', STORE_HELP);
  const formatOption = () =>
    new Option('-f, --format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'json']);

  program
    .command('import')
    .description('import scan results (JSON or SARIF) and log files into the identity graph, then score it')
    .argument('<files...>', 'scan reports, log files or folders ("-" for standard input)')
    .addOption(storeOption())
    .addOption(formatOption())
    .option('--repo <name>', 'repository the scan reports describe (default: the current folder name)')
    .addOption(
      new Option('--visibility <visibility>', 'who can read that repository: decides how exposed a leak is')
        .choices(['public', 'private', 'unknown'])
        .default('unknown'),
    )
    .option('--found-at <time>', 'when the scan ran (ISO time; default now): leaks without a commit date are exposed from then')
    .addOption(
      new Option('--source-type <type>', 'read every log record as this format instead of detecting it').choices(EVENT_SOURCES),
    )
    .option('--stale-days <n>', 'an identity with no activity for this many days is stale (default 90)')
    .option('--as-of <time>', 'score as of this ISO time instead of now (replays of old logs: staleness and recency)')
    .option('--no-rescore', 'import only; score later with another import')
    .option(
      '--policy <file>',
      'policy manifest: owners, aliases and declared grants (default: ./warden.policy.yaml when present)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ warden scan --format json -o scan.json && warden import scan.json cloudtrail/ vault_audit.log
  $ warden scan --git --format sarif -o history.sarif && warden import history.sarif --repo acme/api --visibility public
  $ WARDEN_DATABASE_URL=postgres://warden@db/warden warden import logs/

Re-importing the same files adds nothing. Exit codes: 0 done, 1 some scan-report records were rejected, 2 error.`,
    )
    .action(async (files: string[], flags: ImportFlags) => setExit(await runImport(files, flags, io)));

  program
    .command('identities')
    .description('list the identities in the graph, riskiest first, with owner, activity and posture issues')
    .addOption(storeOption())
    .addOption(
      new Option(
        '-f, --format <format>',
        'table (default on a terminal), json (one JSON array) or jsonl (one identity per line)',
      ).choices(['table', 'json', 'jsonl']),
    )
    .option('--type <type>', 'only identities of this type (iam-role, service-account, …)')
    .option('--limit <n>', 'how many to list', '100')
    .option('--posture', 'list the posture issues (stale, no owner, over-privileged, shared, human use) one per line')
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden identities\n  $ warden identities --posture --format json\n  $ warden identities --type iam-user --limit 20\n\nExit codes: 0 done (with --posture: no issue found), 1 with --posture and issues found, 2 error.',
    )
    .action(
      async (
        flags: Omit<StoreFlags, 'format'> & {
          format?: 'table' | 'json' | 'jsonl';
          type?: string;
          limit: string;
          posture?: boolean;
        },
      ) => {
        const { listIdentities } = await import('../store/index.js');
        const limit = positiveInt(flags.limit, '--limit') ?? 100;
        const store = await open({ store: flags.store }, io, true);
        try {
          const rows = await listIdentities(store, { limit: flags.posture ? 1_000_000 : limit, type: flags.type });
          const format = flags.format ?? (io.stdoutIsTTY ? 'table' : 'json');
          const json = format === 'json';
          const lines = (items: unknown[]) => {
            for (const x of items) io.stdout(`${JSON.stringify(x)}\n`);
          };
          if (flags.posture) {
            const issues = rows.flatMap((r) => (r.detail?.posture ?? []).map((p) => ({ identity: r.id, ...p })));
            if (json) io.stdout(`${JSON.stringify(issues)}\n`);
            else if (format === 'jsonl') lines(issues);
            else
              io.stdout(
                formatTable(
                  [
                    { header: 'SEVERITY' },
                    { header: 'RULE', min: 16 },
                    { header: 'IDENTITY', min: 20 },
                    { header: 'ISSUE', wrap: true, min: 16 },
                  ],
                  issues.map((p) => [p.severity, p.ruleId, p.identity.slice(9), p.message]),
                  terminalWidth(io),
                ),
              );
            setExit(issues.length > 0 ? 1 : 0);
          } else if (json) io.stdout(`${JSON.stringify(rows)}\n`);
          else if (format === 'jsonl') lines(rows);
          else io.stdout(identityTable(rows, terminalWidth(io)));
        } finally {
          await store.close();
        }
      },
    );

  program
    .command('risk')
    .description('identities and leaked-secret findings ranked by risk, highest first; with an ID, its evidence chain')
    .argument('[id]', 'an identity, credential (e.g. an AWS key id), finding or node id: explain it')
    .addOption(storeOption())
    .addOption(formatOption())
    .option('--limit <n>', 'how many of each to show', '20')
    .addHelpText(
      'after',
      `
Examples:
  $ warden risk
  $ warden risk --format json --limit 100
  $ warden risk arn:aws:iam::123456789012:user/deploy     (why it ranks where it does: findings, uses, alerts)

Risk = exposure × privilege × activity × reachability, each factor explained, mapped to 0–100.
Bands: ${RISK_BANDS.map((b) => (b.min > 0 ? `${b.band} ≥ ${b.min}` : `${b.band} below`)).join(', ')}.
A leaked credential in use from an unknown source scores 80–100 (critical). A live cloud key leaked in a
public repository, or a critical alert on the identity, is at least high before any other evidence.
Exit codes: 0 done, 2 error (an ID not in the graph says so).`,
    )
    .action(async (id: string | undefined, flags: StoreFlags & { limit: string }) => {
      const { evidenceOf, listRisk } = await import('../store/index.js');
      const limit = positiveInt(flags.limit, '--limit') ?? 20;
      const store = await open(flags, io, true);
      try {
        const json = formatOf(flags, io) === 'json';
        if (id !== undefined) {
          const node = await resolveOrFail(store, id);
          const evidence = (await evidenceOf(store, node))!;
          io.stdout(json ? `${JSON.stringify(evidence)}\n` : evidenceText(evidence));
          return;
        }
        const identities = await listRisk(store, { kind: 'identity', limit });
        const findings = await listRisk(store, { kind: 'finding', limit });
        if (json) io.stdout(`${JSON.stringify({ identities, findings })}\n`);
        else {
          const width = terminalWidth(io);
          io.stdout(`IDENTITIES (highest risk first)\n${riskTable(identities, 'identity', width)}`);
          io.stdout(`\nLEAKED-SECRET FINDINGS (highest risk first)\n${riskTable(findings, 'finding', width)}`);
          if (identities.length === 0) io.stdout('\nthe graph is empty or unscored: run warden import first\n');
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('blast-radius')
    .description(
      'everything a credential, identity or workload can reach, and every identity and credential it can obtain, with paths',
    )
    .argument('<id>', 'an identity, credential (e.g. an AWS key id), workload or node id')
    .addOption(storeOption())
    .addOption(formatOption())
    .option('--depth <n>', 'stop after this many hops (default 8)')
    .addOption(new Option('--max-depth <n>', 'the same as --depth').hideHelp())
    .option('--limit <n>', 'rows per section in the table (identities, credentials, containers)', '20')
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden blast-radius AKIA0123456789EXAMPLE\n  $ warden blast-radius ci-deployer --depth 2 --limit 50\n  $ warden blast-radius system:serviceaccount:prod:api --format json\n  $ warden blast-radius workload:k8s:prod/deployment/api\n\nExit codes: 0 done, 2 error (an ID not in the graph says so).',
    )
    .action(async (id: string, flags: StoreFlags & { depth?: string; maxDepth?: string; limit: string }) => {
      const { blastRadius } = await import('../store/index.js');
      const maxDepth = positiveInt(flags.depth ?? flags.maxDepth, '--depth') ?? 8;
      const limit = positiveInt(flags.limit, '--limit') ?? 20;
      const store = await open(flags, io, true);
      try {
        const node = await resolveOrFail(store, id);
        const radius = await blastRadius(store, node, { maxDepth });
        io.stdout(formatOf(flags, io) === 'json' ? `${JSON.stringify(radius)}\n` : blastText(radius, limit, terminalWidth(io)));
      } finally {
        await store.close();
      }
    });
}
