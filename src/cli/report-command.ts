import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import type { CliIO } from './io.js';

interface ReportFlags {
  framework: string;
  format: 'html' | 'json';
  output?: string;
  store?: string;
}

/**
 * `warden report --framework NAME`: which controls of a framework Warden's rules and detections cover,
 * and which stored findings and alerts fall under each, as standalone HTML or JSON.
 */
export function registerReport(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('report')
    .description('framework coverage: which controls Warden covers and which stored findings and alerts fall under each')
    .requiredOption('--framework <name>', 'owasp-nhi | nist-csf | nist-800-207 | owasp-agentic | csa-maestro | nist-ai-rmf')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['html', 'json']).default('html'))
    .option('-o, --output <file>', 'write the report here (default: standard output)')
    .option('--store <path|url>', 'store to read findings and alerts from (default: WARDEN_DATABASE_URL, else .warden/warden.db)')
    .addHelpText(
      'after',
      `
Examples:
  $ warden report --framework owasp-nhi --format html -o report.html
  $ warden report --framework nist-csf --format json | jq '.controls[] | select(.covered | not) | .id'

Exit codes: 0 written, 2 error (an unknown framework lists the known ones).`,
    )
    .action(async (flags: ReportFlags) => {
      const { frameworkReport, reportCatalogueId } = await import('../report/framework.js');
      const { frameworkReportHtml } = await import('../report/framework-html.js');
      reportCatalogueId(flags.framework);
      const out = flags.output === undefined ? undefined : resolve(io.cwd, flags.output);
      if (out !== undefined && !existsSync(dirname(out)))
        throw new WardenError('WARDEN_SOURCE_UNREADABLE', `output folder ${dirname(out)} does not exist`);
      const { openStore } = await import('../store/index.js');
      const store = await openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
      let text: string;
      try {
        const report = await frameworkReport(flags.framework, store);
        text = flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : frameworkReportHtml(report);
        if (out === undefined) io.stdout(text);
        else {
          writeFileSync(out, text);
          const s = report.summary;
          io.stderr(
            `warden report: ${report.framework.title} ${report.framework.version}: ${s.covered}/${s.controls} controls covered, ${s.findings} finding(s) and ${s.alerts} alert(s) placed; written to ${flags.output}\n`,
          );
        }
      } finally {
        await store.close();
      }
      setExit(0);
    });
}
