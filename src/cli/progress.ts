import cliProgress from 'cli-progress';
import type { ScanSummary } from '../scan/pipeline.js';

/** A live line on stderr with files/s and MB/s; only on a terminal, never in pipes or CI logs. */
export function createScanProgress(enabled: boolean): { update: (s: ScanSummary) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      format: 'scanning {files} files, {mb} MB | {fps} files/s | {mbps} MB/s | {skipped} skipped',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (s: ScanSummary) => {
    const secs = Math.max(0.001, (performance.now() - started) / 1000);
    return {
      files: s.files,
      mb: (s.bytes / 1e6).toFixed(1),
      fps: Math.round(s.files / secs),
      mbps: (s.bytes / 1e6 / secs).toFixed(1),
      skipped: Object.values(s.skipped).reduce((a, b) => a + (b ?? 0), 0),
    };
  };
  let startedBar = false;
  return {
    update: (s) => {
      if (!startedBar) {
        bar.start(0, 0, payload(s));
        startedBar = true;
      } else bar.update(0, payload(s));
    },
    stop: () => {
      if (startedBar) bar.stop();
    },
  };
}
