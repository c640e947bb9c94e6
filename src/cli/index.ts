import { Command, CommanderError } from 'commander';
import { WardenError } from '../model/errors.js';
import { escapeControl, termSafe } from '../report/terminal.js';
import { wardenVersion } from '../report/version.js';
import { registerAuthz } from './authz-command.js';
import { registerDemo } from './demo-command.js';
import { registerDetect } from './detect-command.js';
import { registerEvents } from './events-command.js';
import { registerGraph } from './graph-command.js';
import type { CliIO } from './io.js';
import { registerPolicy } from './policy-command.js';
import { registerReport } from './report-command.js';
import { registerRespond } from './respond-command.js';
import { registerRules } from './rules-command.js';
import { registerBaseline, registerScan } from './scan-command.js';
import { registerServe, registerWorker } from './serve-command.js';
import { registerToken } from './token-command.js';

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
  registerScan(program, io, setExit);
  registerBaseline(program, io, setExit);
  registerRules(program, io, setExit);
  registerEvents(program, io, setExit);
  registerDetect(program, io, setExit);
  registerDemo(program, io, setExit);
  registerGraph(program, io, setExit);
  registerPolicy(program, io, setExit);
  registerAuthz(program, io, setExit);
  registerRespond(program, io, setExit);
  registerReport(program, io, setExit);
  registerServe(program, io, setExit);
  registerWorker(program, io, setExit);
  registerToken(program, io, setExit);
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
