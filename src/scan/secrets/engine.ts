import type { CommitInfo, CredentialKey, Finding } from '../../model/finding.js';
import { severityRank } from '../../model/severity.js';
import type { KeywordHits } from './aho-corasick.js';
import type { SecretRule } from './load-rules.js';
import { createKeywordMatcher, type KeywordEngine } from './native-keywords.js';
import { isPlaceholder } from './placeholders.js';
import { fingerprint, githubHashedToken, redact, vaultAuditHmac } from './redact.js';

export interface SecretScannerOptions {
  rules: readonly SecretRule[];
  /** The Vault audit device's HMAC salt: lets findings carry the HMAC that Vault's audit log shows. */
  vaultAuditSalt?: string | undefined;
  /**
   * Without a salt: hand Vault tokens back in `vaultTokens` so the caller can ask the Vault server
   * for their audit HMAC (`/sys/audit-hash`) and drop them. Never serialised, never stored.
   */
  collectVaultTokens?: boolean | undefined;
  /** Regular expressions from config `scan.allowlist.secrets`: a secret matching one is not reported. */
  allow?: readonly string[] | undefined;
}

/** What scanning one buffer gives: findings, and how many were silenced by inline `warden:ignore`. */
export interface BufferScanResult {
  findings: Finding[];
  suppressed: number;
  /** With `collectVaultTokens`: each Vault token finding with its token, for the caller to hash and forget. */
  vaultTokens?: Array<{ finding: Finding; token: string }>;
}

interface Match {
  rule: SecretRule;
  secret: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
}

export interface SecretScanner {
  readonly rules: readonly SecretRule[];
  /**
   * Scans one file's bytes. Bytes are read as latin1 so invalid UTF-8 never throws and offsets stay
   * byte offsets; every credential format Warden knows is ASCII.
   */
  scanBuffer(bytes: Buffer, path: string, commit?: CommitInfo): BufferScanResult;
  /** Which engine runs the keyword pass: the native Hyperscan addon or the JavaScript automaton. */
  readonly keywordEngine: KeywordEngine;
}

const IGNORE_MARKER = Buffer.from('warden:ignore');
/** Ints of keyword hits a scanner keeps between files (4 MiB); a larger buffer is dropped after its file. */
const MAX_KEPT_HITS = 1 << 20;
/** Files up to this size are decoded whole for their windows (see scanBuffer). */
const WHOLE_DECODE_MAX = 256 * 1024;
const RULE_ID_IN_COMMENT = /\b(?:secret|posture)\.[a-z0-9*.-]+/g;

/**
 * Builds a scanner over a rule set: one keyword pass for all rules (the native Hyperscan prefilter where it
 * is built, else the JavaScript automaton: see native-keywords.ts), then each rule's expression
 * only in windows around its keywords.
 * @example createSecretScanner({ rules: loadSecretRules() }).scanBuffer(Buffer.from(text), 'a.env')
 */
export function createSecretScanner(options: SecretScannerOptions): SecretScanner {
  const rules = options.rules;
  const keywordIds = new Map<string, number>();
  const keywordRules: number[][] = [];
  const keywordLength: number[] = [];
  rules.forEach((rule, ri) => {
    for (const kw of rule.keywords) {
      let id = keywordIds.get(kw);
      if (id === undefined) {
        id = keywordRules.length;
        keywordIds.set(kw, id);
        keywordRules.push([]);
        keywordLength.push(Buffer.byteLength(kw, 'latin1'));
      }
      if (!keywordRules[id]!.includes(ri)) keywordRules[id]!.push(ri);
    }
  });
  const allow = (options.allow ?? []).map((p) => new RegExp(p));
  const keywordMatcher = createKeywordMatcher([...keywordIds.keys()]);
  // `window.needs`: each distinct character set is a bit of classOf; a rule keeps the sets it needs.
  // Past 31 sets a need is dropped, which only weakens the filter (it is a necessary condition).
  const classOf = new Int32Array(256);
  const setIds = new Map<string, number>();
  const needSets = rules.map((rule): number[] | undefined => {
    const ids: number[] = [];
    for (const set of rule.window.needs ?? []) {
      let id = setIds.get(set);
      if (id === undefined && setIds.size < 31) {
        id = setIds.size;
        setIds.set(set, id);
        for (let i = 0; i < set.length; i++) classOf[set.charCodeAt(i)]! |= 1 << id;
      }
      if (id !== undefined && !ids.includes(id)) ids.push(id);
    }
    return ids.length > 0 ? ids : undefined;
  });
  /** Per set, in the file being scanned: its next character at or after the last query (-1: none before `frontier`). */
  const nextAt = new Int32Array(setIds.size);
  const frontier = new Int32Array(setIds.size);
  let lastFrom = 0;
  /** Forgets what hasAfter learnt: at each file's start, or when a query comes out of order. */
  const resetNeeds = (): void => {
    nextAt.fill(-1);
    frontier.fill(0);
    lastFrom = 0;
  };
  /** Rules limited to some files (`paths`), and which of them the file being scanned is not for. */
  const pathRules = rules.flatMap((r, ri) => (r.appliesTo === undefined ? [] : [ri]));
  const offPath = new Uint8Array(rules.length);

  /**
   * Whether a character of set `s` lies in bytes[from, limit). Queries of one file come with `from`
   * never decreasing (keyword hits arrive by end offset), so each set's bytes are looked at about once
   * per file, however many hits ask: no quadratic cost on a long line of keywords.
   */
  function hasAfter(bytes: Buffer, s: number, from: number, limit: number): boolean {
    // Out of order (no engine gives that today): forget what was learnt rather than trust it.
    if (from < lastFrom) resetNeeds();
    lastFrom = from;
    const at = nextAt[s]!;
    if (at >= from) return at < limit;
    const bit = 1 << s;
    let i = Math.max(frontier[s]!, from);
    for (; i < limit; i++) {
      if ((classOf[bytes[i]!]! & bit) !== 0) {
        nextAt[s] = i;
        frontier[s] = i + 1;
        return true;
      }
    }
    nextAt[s] = -1;
    if (i > frontier[s]!) frontier[s] = i;
    return false;
  }
  // Keyword hits of the file being scanned; one buffer for every file this scanner sees.
  const hits: KeywordHits = { buf: new Int32Array(4096) };

  function credentialKeyFor(rule: SecretRule, secret: string): CredentialKey | undefined {
    switch (rule.credentialKey) {
      case 'aws-access-key-id':
        // A copy: the match is a slice of the whole file's text, which it would keep alive.
        return { type: 'aws-access-key-id', value: Buffer.from(secret, 'latin1').toString('latin1') };
      case 'github-hashed-token':
        return { type: 'github-hashed-token', value: githubHashedToken(secret) };
      case 'gcp-key-id':
        // The rule's secret is the key file's private_key_id: not secret, the id the audit logs use.
        return { type: 'gcp-key-id', value: secret.toLowerCase() };
      case 'vault-hmac':
        return options.vaultAuditSalt === undefined
          ? undefined
          : { type: 'vault-hmac', value: vaultAuditHmac(secret, options.vaultAuditSalt) };
      default:
        return undefined;
    }
  }

  function scanBuffer(bytes: Buffer, path: string, commit?: CommitInfo): BufferScanResult {
    // No secret rules selected (`--rule 'posture.*'`): nothing to look for, so no keyword pass either.
    if (rules.length === 0) return { findings: [], suppressed: 0 };
    const n = bytes.length;
    // Windows per rule as flat [start, end, start, end, …], merged when they touch.
    const windows: Array<number[] | undefined> = new Array(rules.length);
    let lineLo = -1;
    let lineHi = -1;
    const hitCount = keywordMatcher.collect(bytes, hits);
    const hitBuf = hits.buf;
    // A buffer grown by one keyword-dense file is not kept for the rest of the scan.
    if (hitBuf.length > MAX_KEPT_HITS) hits.buf = new Int32Array(4096);
    if (hitCount === 0) return { findings: [], suppressed: 0 };
    for (const ri of pathRules) offPath[ri] = rules[ri]!.appliesTo!(path) ? 0 : 1;
    resetNeeds();
    for (let h = 0; h < hitCount; h += 2) {
      const kw = hitBuf[h]!;
      const end = hitBuf[h + 1]!;
      const kwStart = end - keywordLength[kw]!;
      rule: for (const ri of keywordRules[kw]!) {
        if (offPath[ri] === 1) continue;
        const w = rules[ri]!.window;
        let lo = 0;
        let hi = n;
        if (!w.multiline) {
          if (kwStart < lineLo || kwStart >= lineHi) {
            lineLo = bytes.lastIndexOf(10, kwStart) + 1;
            const nl = bytes.indexOf(10, kwStart);
            lineHi = nl < 0 ? n : nl;
          }
          lo = lineLo;
          hi = lineHi;
        }
        const ws = Math.max(lo, kwStart - w.before);
        const we = Math.min(hi, end + w.after);
        const sets = needSets[ri];
        if (sets !== undefined) {
          const limit = w.needsWithin === undefined ? we : Math.min(we, end + w.needsWithin);
          for (const set of sets) if (!hasAfter(bytes, set, end, limit)) continue rule;
        }
        let list = windows[ri];
        if (list === undefined) {
          list = windows[ri] = [ws, we];
        } else if (list[list.length - 1]! >= ws) {
          if (we > list[list.length - 1]!) list[list.length - 1] = we;
        } else {
          list.push(ws, we);
        }
      }
    }

    const matches: Match[] = [];
    // A file of ordinary size is decoded once and its windows are slices of it (no copy); a large one
    // window by window, so one keyword in a minified megabyte does not decode the megabyte.
    // Decoded at the first window: a file whose keywords all lacked what their rules need has none.
    let whole: string | undefined;
    for (let ri = 0; ri < rules.length; ri++) {
      const list = windows[ri];
      if (list === undefined) continue;
      const rule = rules[ri]!;
      const re = rule.regex;
      let lastStart = -1;
      for (let wi = 0; wi < list.length; wi += 2) {
        const ws = list[wi]!;
        if (whole === undefined && n <= WHOLE_DECODE_MAX) whole = bytes.toString('latin1');
        const text = whole !== undefined ? whole.slice(ws, list[wi + 1]!) : bytes.toString('latin1', ws, list[wi + 1]!);
        re.lastIndex = 0;
        for (let m = re.exec(text); m !== null; m = re.exec(text)) {
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          const named = m.groups?.secret;
          const secret = named ?? m[1] ?? m[0];
          const span = named !== undefined ? m.indices?.groups?.secret : m[1] !== undefined ? m.indices?.[1] : m.indices?.[0];
          const start = ws + (span?.[0] ?? m.index);
          if (start <= lastStart) continue;
          lastStart = start;
          if (!rule.validate.every((v) => v(secret))) continue;
          if (rule.placeholderCheck && isPlaceholder(secret)) continue;
          if (allow.length > 0 && allow.some((a) => a.test(secret))) continue;
          matches.push({ rule, secret, start, end: start + secret.length, line: 0, column: 0, endLine: 0 });
        }
      }
    }
    if (matches.length === 0) return { findings: [], suppressed: 0 };

    // Line and column numbers in one forward pass over the newlines.
    matches.sort((a, b) => a.start - b.start);
    let line = 1;
    let lineStart = 0;
    let nextNl = bytes.indexOf(10, 0);
    const advance = (offset: number): void => {
      while (nextNl >= 0 && nextNl < offset) {
        line++;
        lineStart = nextNl + 1;
        nextNl = bytes.indexOf(10, lineStart);
      }
    };
    for (const m of matches) {
      advance(m.start);
      m.line = line;
      m.column = m.start - lineStart + 1;
    }
    for (const m of matches) {
      let endLine = m.line;
      for (let i = m.start; i < m.end; i++) if (bytes[i] === 10) endLine++;
      m.endLine = endLine;
    }

    let suppressed = 0;
    const kept = dropShadowedGeneric(matches).filter((m) => {
      if (!ignoredInline(bytes, m)) return true;
      suppressed++;
      return false;
    });

    // Pairs (an AWS key id with its secret key nearby) become one finding: partners first, then emit.
    const partners = new Map<Match, Match>();
    const consumed = new Set<Match>();
    for (const m of kept) {
      const pair = m.rule.pair;
      if (pair === undefined) continue;
      let partner: Match | undefined;
      for (const o of kept) {
        if (o.rule.id !== pair.rule || consumed.has(o) || Math.abs(o.line - m.line) > pair.lines) continue;
        if (partner === undefined || Math.abs(o.line - m.line) < Math.abs(partner.line - m.line)) partner = o;
      }
      if (partner !== undefined) {
        consumed.add(partner);
        partners.set(m, partner);
      }
    }
    const findings: Finding[] = [];
    const vaultTokens: NonNullable<BufferScanResult['vaultTokens']> = [];
    for (const m of kept) {
      if (consumed.has(m)) continue;
      const finding = toFinding(m, partners.get(m), path, commit);
      findings.push(finding);
      if (options.collectVaultTokens && m.rule.credentialKey === 'vault-hmac' && finding.credentialKey === undefined)
        vaultTokens.push({ finding, token: m.secret });
    }
    return vaultTokens.length === 0 ? { findings, suppressed } : { findings, suppressed, vaultTokens };
  }

  function toFinding(m: Match, partner: Match | undefined, path: string, commit?: CommitInfo): Finding {
    const rule = m.rule;
    const secret = partner?.secret ?? m.secret;
    const preview = redact(secret);
    const key = credentialKeyFor(rule, m.secret);
    const title = partner ? `${rule.title} with ${partner.rule.title}` : rule.title;
    const severity =
      partner && severityRank(partner.rule.severity) > severityRank(rule.severity) ? partner.rule.severity : rule.severity;
    const finding: Finding = {
      ruleId: rule.id,
      kind: 'secret',
      title,
      severity,
      provider: rule.provider,
      message: `${title}: ${preview}`,
      path,
      line: m.line,
      column: m.column,
      endLine: partner ? Math.max(m.endLine, partner.endLine) : m.endLine,
      fingerprint: fingerprint(secret),
      preview,
      frameworks: rule.frameworks,
    };
    if (key) finding.credentialKey = key;
    if (commit) finding.commit = commit;
    if (rule.remediation) finding.remediation = rule.remediation;
    return finding;
  }

  return { rules, scanBuffer, keywordEngine: keywordMatcher.engine };
}

const GENERIC = 'secret.generic.';

/**
 * A generic rule (password/token assignment) and a provider rule often match the same bytes
 * (`api_key = "sk-proj-…"`): the provider rule says more, so the generic finding over the same span
 * goes. Matches are sorted by start, so only neighbours that start before this one ends can overlap.
 */
function dropShadowedGeneric(matches: Match[]): Match[] {
  if (!matches.some((m) => m.rule.id.startsWith(GENERIC))) return matches;
  return matches.filter((m, i) => {
    if (!m.rule.id.startsWith(GENERIC)) return true;
    for (let j = i - 1; j >= 0 && matches[j]!.start >= m.start - 4096; j--) {
      const o = matches[j]!;
      if (!o.rule.id.startsWith(GENERIC) && o.start < m.end && m.start < o.end) return false;
    }
    for (let j = i + 1; j < matches.length && matches[j]!.start < m.end; j++) {
      if (!matches[j]!.rule.id.startsWith(GENERIC)) return false;
    }
    return true;
  });
}

/** `warden:ignore` on the finding's first line silences it; naming rule ids limits it to those. */
function ignoredInline(bytes: Buffer, m: Match): boolean {
  const lo = bytes.lastIndexOf(10, m.start) + 1;
  const nl = bytes.indexOf(10, m.start);
  const hi = nl < 0 ? bytes.length : nl;
  const at = bytes.indexOf(IGNORE_MARKER, lo);
  if (at < 0 || at >= hi) return false;
  const rest = bytes.toString('latin1', at + IGNORE_MARKER.length, Math.min(hi, at + 400));
  const ids = rest.match(RULE_ID_IN_COMMENT);
  if (ids === null) return true;
  return ids.some((id) => (id.endsWith('*') ? m.rule.id.startsWith(id.slice(0, -1)) : id === m.rule.id));
}
