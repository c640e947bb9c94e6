import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  /** Wall-clock milliseconds from spawn to exit, process start-up included (what a user waits). */
  wallMs: number;
  /** Peak resident set size in MB (2^20 bytes), undefined when it could not be measured. */
  peakRssMb: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few kilobytes of standard error, for error messages. */
  stderrTail: string;
}

export interface RunOptions {
  cwd: string;
  /** Standard output goes to this file (tools that print findings), else it is discarded. */
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

const TIME = '/usr/bin/time';
/** GNU time reports the maximum RSS of the child (threads included) in kilobytes. */
const hasGnuTime = existsSync(TIME);

/** How peak memory is measured here, for the report header. */
export const rssMethod = hasGnuTime ? '/usr/bin/time' : '/proc/<pid>/status VmHWM sampling';

/** Reads VmHWM (the kernel's own peak-RSS high-water mark) of a live process, in kB. */
export function readHwmKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system, all threads) a running process has used so far, from /proc/<pid>/stat;
 * undefined where there is no /proc. Clock ticks are 100 a second on Linux's x86-64 and arm64 builds.
 * @example const before = readCpuSeconds(child.pid!);
 */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command once, measuring wall time and peak RSS. With GNU time the peak is exact; without it,
 * VmHWM is sampled every 20 ms, which can only under-read by what the last 20 ms added.
 * @example const r = await runMeasured('rg', ['-c', 'AKIA', '.'], { cwd: '/tmp', timeoutMs: 60_000 })
 */
export async function runMeasured(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const rssFile = join(tmp, 'rss');
  const [file, argv] = hasGnuTime ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, [...args]];
  const out = opts.stdoutFile === undefined ? 'ignore' : openSync(opts.stdoutFile, 'w');
  const started = performance.now();
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  let stderr = '';
  // stdio[2] is 'pipe', so stderr exists; the mixed stdio array hides that from the types.
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4096);
  });
  let hwmKb: number | undefined;
  const sampler = hasGnuTime
    ? undefined
    : setInterval(() => {
        const kb = child.pid === undefined ? undefined : readHwmKb(child.pid);
        if (kb !== undefined) hwmKb = Math.max(hwmKb ?? 0, kb);
      }, 20);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  if (sampler) clearInterval(sampler);
  let peakKb = hwmKb;
  if (hasGnuTime) {
    const text = existsSync(rssFile) ? readFileSync(rssFile, 'utf8') : '';
    // GNU time writes "Command exited with non-zero status N" before the format line when the child fails.
    const m = /(\d+)\s*$/.exec(text.trim());
    peakKb = m ? Number(m[1]) : undefined;
  }
  rmSync(tmp, { recursive: true, force: true });
  return {
    wallMs,
    peakRssMb: peakKb === undefined ? undefined : peakKb / 1024,
    exitCode: code,
    signal,
    timedOut,
    stderrTail: stderr.trim(),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}

/**
 * Reads every file under `dir` and throws the bytes away, so the timed run that follows finds them in
 * the page cache. Once before timing is not enough on every machine: a proactive reclaimer (DAMON on
 * the project's VMs) evicts pages idle for a few seconds, so a run after another tool's could read part
 * of the corpus from disk. Called before each timed run of every contender alike. Returns the bytes read.
 */
export function warmPageCache(dir: string): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) {
        const fd = openSync(p, 'r');
        try {
          for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) bytes += n;
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  visit(dir);
  return bytes;
}
