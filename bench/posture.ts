/**
 * Posture throughput (part of bench:scan): files/s of the posture analyzers over a generated IaC tree
 * of at least 10,000 files (Terraform, CloudFormation, IAM JSON, GitHub Actions, GitLab CI,
 * Kubernetes, Dockerfiles, MCP configs, Vault policies), built from the posture fixtures with every
 * copy varied (names, ids) so no parser cache helps. Measured in-process on one thread, and as the
 * full `warden scan` (secrets and posture, worker threads) over the same tree.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../src/model/package-root.js';
import { analyzePosture } from '../src/scan/posture/index.js';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';
import { rssMethod, runMeasured } from './lib/measure.js';
import { fixed, formatTable } from './lib/report.js';

const FILES = Number(process.env.BENCH_IAC_FILES ?? 10_000);
const root = packageRoot();
const fixtures = join(root, 'test', 'fixtures', 'posture');
const tree = join(root, '.bench', 'iac', String(FILES));

interface Template {
  domain: string;
  /** Path the analyzers expect (a workflow must live under .github/workflows/). */
  path: string;
  text: string;
}

function templates(): Template[] {
  const out: Template[] = [];
  for (const domain of readdirSync(fixtures)) {
    const cases = parseYaml(readFileSync(join(fixtures, domain, 'cases.yaml'), 'utf8')) as Array<{
      file: string;
      path?: string;
      malformed?: boolean;
    }>;
    for (const c of cases) {
      if (c.malformed) continue;
      out.push({ domain, path: c.path ?? c.file, text: readFileSync(join(fixtures, domain, c.file), 'utf8') });
    }
  }
  return out;
}

function generate(): Array<{ path: string; text: string; domain: string }> {
  const ts = templates();
  const rnd = createRandom(7);
  const files: Array<{ path: string; text: string; domain: string }> = [];
  for (let i = 0; i < FILES; i++) {
    const t = ts[i % ts.length]!;
    // Vary names so each copy is a distinct document; the analyzers see the same shapes.
    const text = expandExample(t.text, rnd).replace(/\b(app|payments|ci-deployer|api)\b/g, `$1${i}`);
    const dir = `svc-${i % 200}`;
    const rel = t.path.includes('/')
      ? `${dir}/${t.path.replace(/^(.*\/)?([^/]+)$/, `$1${i}-$2`)}`
      : `${dir}/${t.domain}/${i}-${t.path}`;
    files.push({ path: rel, text, domain: t.domain });
  }
  return files;
}

async function main(): Promise<void> {
  const files = generate();
  if (!existsSync(tree)) {
    for (const f of files) {
      mkdirSync(join(tree, f.path, '..'), { recursive: true });
      writeFileSync(join(tree, f.path), f.text);
    }
  }
  const bytes = files.reduce((a, f) => a + Buffer.byteLength(f.text), 0);
  const perDomain = new Map<string, { files: number; ms: number; findings: number }>();
  const started = performance.now();
  let findings = 0;
  let malformed = 0;
  for (const f of files) {
    const t = performance.now();
    const r = await analyzePosture(f.path, f.text);
    const d = perDomain.get(f.domain) ?? { files: 0, ms: 0, findings: 0 };
    d.files++;
    d.ms += performance.now() - t;
    d.findings += r.findings.length;
    perDomain.set(f.domain, d);
    findings += r.findings.length;
    malformed += r.malformed.length;
  }
  const ms = performance.now() - started;
  console.log(`\nbench:scan posture — ${files.length} IaC files, ${(bytes / 1e6).toFixed(1)} MB, one thread, in-process\n`);
  console.log(
    formatTable(
      ['domain', 'files', 'files/s', 'findings'],
      [...perDomain].map(([dom, d]) => [dom, String(d.files), fixed((d.files / d.ms) * 1000, 0), String(d.findings)]),
    ),
  );
  console.log(`\nall analyzers: ${fixed((files.length / ms) * 1000, 0)} files/s, ${findings} findings, ${malformed} malformed`);
  // The whole product on the same tree: secrets and posture, worker threads, from a fresh process.
  const analyzersRssMb = process.resourceUsage().maxRSS / 1024;
  const run = await runMeasured(
    process.execPath,
    [
      join(root, 'dist/src/cli/bin.js'),
      'scan',
      tree,
      '--format',
      'json',
      '-o',
      join(root, '.bench', 'iac-scan.json'),
      '--no-progress',
    ],
    { cwd: join(root, '.bench'), timeoutMs: 30 * 60_000 },
  );
  const scanMs = run.wallMs;
  const report = JSON.parse(readFileSync(join(root, '.bench', 'iac-scan.json'), 'utf8'));
  console.log(
    `warden scan (secrets + posture, worker threads, process start included): ${fixed((files.length / scanMs) * 1000, 0)} files/s, ${report.findings.length} findings, exit ${run.exitCode}, peak RSS ${fixed(run.peakRssMb, 0)} MB (${rssMethod})`,
  );
  console.log(`analyzers in this process: peak RSS ${fixed(analyzersRssMb, 0)} MB (the generated tree is held in memory)`);
  console.log(
    JSON.stringify({
      bench: 'posture',
      files: files.length,
      mb: bytes / 1e6,
      analyzersFilesPerSec: (files.length / ms) * 1000,
      scanFilesPerSec: (files.length / scanMs) * 1000,
      scanPeakRssMb: run.peakRssMb,
      analyzersPeakRssMb: analyzersRssMb,
      findings,
      malformed,
      perDomain: Object.fromEntries(
        [...perDomain].map(([k, d]) => [k, { files: d.files, filesPerSec: (d.files / d.ms) * 1000, findings: d.findings }]),
      ),
    }),
  );
}

await main();
