/**
 * Warden's own reports (`--format json`, `jsonl`, `sarif`, `warden baseline`) carry credential key
 * ids (AWS access key ids are no secret, but they match Warden's rules), so `warden scan --format json
 * -o tree.json && warden scan .` would report its own report. A file is taken for one only when it
 * parses whole as one, with Warden named as the tool; the skip is counted ('warden-report'), never
 * silent, so a report-shaped file cannot quietly hide a secret from the summary.
 */

const FINGERPRINT = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFinding(v: unknown): boolean {
  return isObject(v) && typeof v.ruleId === 'string' && typeof v.fingerprint === 'string' && FINGERPRINT.test(v.fingerprint);
}

/** Whether `data` is a report Warden wrote: checked by a cheap look at its first bytes, then a full parse. */
export function isWardenReport(data: Uint8Array): boolean {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const head = buf.toString('utf8', 0, Math.min(buf.length, 4096)).trimStart();
  if (!head.startsWith('{')) return false;
  const json = /^\{\s*"version"\s*:\s*1\s*,\s*"tool"\s*:\s*(\{\s*"name"\s*:\s*"warden"|"warden")/.test(head);
  const sarif = /"\$schema"\s*:\s*"[^"]*sarif/i.test(head) && /"driver"\s*:\s*\{\s*"name"\s*:\s*"Warden"/.test(head);
  const jsonl = head.startsWith('{"ruleId":"');
  if (!json && !sarif && !jsonl) return false;
  const text = buf.toString('utf8');
  try {
    if (jsonl) {
      const lines = text.split('\n').filter((l) => l.trim().length > 0);
      return lines.length > 0 && lines.every((l) => isFinding(JSON.parse(l)));
    }
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (sarif) {
      const runs = doc.runs;
      return (
        Array.isArray(runs) &&
        runs.length > 0 &&
        runs.every((r) => isObject(r) && isObject(r.tool) && isObject(r.tool.driver) && r.tool.driver.name === 'Warden')
      );
    }
    const tool = doc.tool;
    const named = tool === 'warden' || (isObject(tool) && tool.name === 'warden');
    return doc.version === 1 && named && Array.isArray(doc.findings);
  } catch {
    return false;
  }
}
