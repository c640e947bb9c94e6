import { Command, CommanderError } from 'commander';
import { WardenError } from '../model/errors.js';
import { escapeControl, termSafe } from '../report/terminal.js';
import { wardenVersion } from '../report/version.js';
import type { CliIO } from './io.js';

export { type CliIO, memoryIO, processIO } from './io.js';

/**
 * The `warden` command as a function: parses `argv`, writes through `io`, returns the exit code
 * (0 clean, 1 findings, 2 error). The bin only calls this and exits.
 * @example const code = await run(['scan', '--format', 'json'], memoryIO())
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command()
    .name('warden')
    .description('Security for non-human identities: exposed credentials, risky identity configuration, runtime abuse.')
    .version(wardenVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden scan\n  $ warden scan --git --format sarif -o warden.sarif\n  $ warden rules list\n  $ warden events --replay vault_audit.log --stats\n  $ warden import scan.json cloudtrail/ && warden risk',
    );
  for (const register of await registrars(argv[0])) register(program, io, setExit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof WardenError) {
      // Messages can carry file names and other input: escaped like every table (termSafe).
      io.stderr(`warden: ${escapeControl(err.message)}\n`);
      for (const i of err.issues.slice(0, 20)) io.stderr(`  ${termSafe(i.path)}: ${termSafe(i.message, 500)}\n`);
      if (err.issues.length > 20) io.stderr(`  … and ${err.issues.length - 20} more\n`);
      return 2;
    }
    io.stderr(`warden: unexpected error: ${escapeControl((err as Error).stack ?? String(err)).replaceAll('\\n', '\n')}\n`);
    return 2;
  }
}

type Register = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

/**
 * The commands to register. `scan` and `baseline` (what CI and the pre-commit hook run) load only their
 * own module: loading every command's dependencies (database drivers, the server, detections) would
 * cost each scan a few hundred milliseconds of start-up. Anything else (help, suggestions) gets all.
 */
async function registrars(first: string | undefined): Promise<Register[]> {
  const scan = await import('./scan-command.js');
  if (first === 'scan' || first === 'baseline') return [scan.registerScan, scan.registerBaseline];
  const [rules, events, detect, demo, graph, policy, authz, respond, report, serve, token] = await Promise.all([
    import('./rules-command.js'),
    import('./events-command.js'),
    import('./detect-command.js'),
    import('./demo-command.js'),
    import('./graph-command.js'),
    import('./policy-command.js'),
    import('./authz-command.js'),
    import('./respond-command.js'),
    import('./report-command.js'),
    import('./serve-command.js'),
    import('./token-command.js'),
  ]);
  return [
    scan.registerScan,
    scan.registerBaseline,
    rules.registerRules,
    events.registerEvents,
    detect.registerDetect,
    demo.registerDemo,
    graph.registerGraph,
    policy.registerPolicy,
    authz.registerAuthz,
    respond.registerRespond,
    report.registerReport,
    serve.registerServe,
    serve.registerWorker,
    token.registerToken,
  ];
}
