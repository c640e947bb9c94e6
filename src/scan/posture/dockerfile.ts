import { basename } from 'node:path/posix';
import { redact } from '../secrets/redact.js';
import type { PostureAnalyzer, PostureContext } from './types.js';

/**
 * Dockerfile posture: secrets baked into images through ENV/ARG values, credential files copied in,
 * and build secrets written to files or persisted from build arguments. Everything an instruction
 * writes ends up in a layer or in the image config and history, readable by anyone who can pull the
 * image; BuildKit secret mounts (`RUN --mount=type=secret`) keep them out.
 */

const RULE = {
  secretValue: 'posture.dockerfile.secret-in-env-arg',
  credentialFile: 'posture.dockerfile.credential-file-copied',
  baked: 'posture.dockerfile.build-secret-baked',
} as const;

/** Dockerfile, Containerfile, Dockerfile.prod, api.dockerfile (case-insensitive, as tools accept them). */
const DOCKERFILE_NAME = /^(?:(?:docker|container)file(?:\.[\w.-]+)?|[\w.-]+\.(?:docker|container)file)$/i;
/** Documentation and ignore files that share the naming scheme. */
const NOT_DOCKERFILE = /\.(?:md|txt|rst|adoc|dockerignore|containerignore|ya?ml|json|lock|sh)$/i;

const MAX_EVIDENCE = 120;

interface Instruction {
  keyword: string;
  /** Arguments with continuations joined, comments removed. */
  args: string;
  /** Heredoc bodies (`RUN <<EOF … EOF`), in order. */
  heredocs: string[];
  line: number;
  /** Last line of the instruction, heredoc bodies included. */
  end: number;
}

/**
 * Splits a Dockerfile into instructions following the reference's rules: parser directives
 * (`# escape=`) only at the top, comment lines dropped even inside a continuation, the escape
 * character at end of line continuing it, and heredocs (BuildKit 1.4 syntax) read to their delimiter.
 */
function parseDockerfile(text: string): { instructions: Instruction[]; error?: string } {
  const lines = text.split(/\r?\n/);
  let escapeChar = '\\';
  let i = 0;
  for (; i < lines.length; i++) {
    const d = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(lines[i]!);
    if (!d) break;
    if (d[1]!.toLowerCase() === 'escape' && (d[2] === '`' || d[2] === '\\')) escapeChar = d[2]!;
  }
  const out: Instruction[] = [];
  while (i < lines.length) {
    const start = i;
    const raw = lines[i]!;
    i++;
    if (/^\s*(?:#|$)/.test(raw)) continue;
    let buf = raw;
    while (buf.trimEnd().endsWith(escapeChar) && i < lines.length) {
      buf = buf.trimEnd().slice(0, -1);
      const next = lines[i]!;
      i++;
      if (/^\s*(?:#|$)/.test(next)) {
        buf += escapeChar; // comment and empty lines inside a continuation are dropped, the continuation goes on
        continue;
      }
      buf += ` ${next}`;
    }
    if (buf.trimEnd().endsWith(escapeChar)) buf = buf.trimEnd().slice(0, -1);
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(buf);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    const heredocs: string[] = [];
    if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') {
      for (const h of args.matchAll(/<<(-?)(["']?)([A-Za-z_][\w.-]*)\2/g)) {
        const strip = h[1] === '-';
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i]!;
          i++;
          if ((strip ? l.replace(/^\t+/, '') : l).trimEnd() === h[3]) {
            closed = true;
            break;
          }
          body.push(l);
        }
        if (!closed) return { instructions: out, error: `heredoc ${h[3]} opened on line ${start + 1} is never closed` };
        heredocs.push(body.join('\n'));
      }
    }
    out.push({ keyword, args, heredocs, line: start + 1, end: i });
  }
  return { instructions: out };
}

/** Shell-like word splitting with quotes kept out of the words (enough for ENV, ARG, COPY). */
function words(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/(?:[^\s"']|"(?:[^"\\]|\\.)*"|'[^']*')+/g)) out.push(m[0]);
  return out;
}

function unquote(s: string): string {
  return s.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_, d: string | undefined, q: string | undefined) =>
    d !== undefined ? d.replace(/\\(.)/g, '$1') : (q ?? ''),
  );
}

/** `KEY=value` pairs of ENV and ARG (and the legacy `ENV KEY value with spaces` form). */
function keyValues(keyword: string, args: string): { key: string; value: string | undefined }[] {
  const ws = words(args);
  if (keyword === 'ENV' && ws.length >= 2 && !ws[0]!.includes('=')) {
    return [{ key: ws[0]!, value: unquote(args.slice(args.indexOf(ws[0]!) + ws[0]!.length).trim()) }];
  }
  return ws.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? { key: w, value: undefined } : { key: w.slice(0, eq), value: unquote(w.slice(eq + 1)) };
  });
}

/**
 * Whether a variable name says it holds a secret. Names are split into words so TOKENIZERS_PARALLELISM
 * is not a token, and names about a secret (…_FILE, …_PATH, …_URL) are not the secret.
 */
function isSecretName(name: string): boolean {
  const parts = name
    .toUpperCase()
    .split(/[_.-]+/)
    .filter(Boolean);
  // NEXT_PUBLIC_*, *_PUBLISHABLE_KEY: values built into client bundles, public by design.
  if (parts.length === 0 || parts.some((p) => p === 'PUBLIC' || p === 'PUBLISHABLE')) return false;
  if (
    /^(?:FILE|PATH|DIR|NAME|URL|URI|ENDPOINT|HOST|PORT|TYPE|LENGTH|TTL|EXPIRY|EXPIRES|HEADER|ENABLED|REQUIRED|MODE|VERSION|USER|USERNAME|ID|LOCATION|ROTATION|FORMAT|ALGORITHM|SIZE)$/.test(
      parts.at(-1)!,
    )
  ) {
    return false;
  }
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if (/(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|APIKEY|CREDENTIALS?)$/.test(p)) return true;
    const next = parts[k + 1];
    if (next === 'KEY' && /^(?:API|ACCESS|PRIVATE|SECRET|AUTH|ENCRYPTION|SIGNING|MASTER|LICENSE)$/.test(p)) return true;
  }
  return false;
}

/** Literal values that are configuration rather than a secret: flags, numbers, paths, URLs, placeholders. */
function isNonSecretValue(v: string): boolean {
  const s = v.trim();
  if (s.length < 4) return true;
  if (/^(?:true|false|yes|no|on|off|none|null|nil|undefined|disabled?|enabled?)$/i.test(s)) return true;
  if (/^[\d.]+$/.test(s)) return true;
  if (/^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\)/.test(s)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i.test(s)) return true; // a URL without user:password@
  if (
    /^(?:<[^>]*>|\{\{.*\}\}|%[^%]+%|test(?:ing)?|secret|password|token|x{3,}|\*{3,}|changeit|(?:your|my)[-_].*|.*[-_]here)$/i.test(
      s,
    )
  ) {
    return true;
  }
  // Build-time stand-ins such as SECRET_KEY=dummy-for-collectstatic.
  return /dummy|placeholder|change[-_]?me|replace[-_]?me|not[-_]?(?:a[-_]?)?(?:real|secret)|fake|example|sample/i.test(s);
}

const CREDENTIAL_BASENAME =
  /^(?:\.npmrc|\.pypirc|\.netrc|_netrc|\.git-credentials|\.dockercfg|\.pgpass|id_(?:rsa|dsa|ecdsa|ed25519)|credentials(?:\.json)?|kubeconfig(?:\.ya?ml)?|client_secrets?(?:[-_.][\w.-]*)?\.json|[\w.-]*(?:service[-_]?account|(?:^|[-_.])sa[-_]key|adminsdk|gcp[-_](?:key|credentials|sa))[\w.-]*\.json|[\w.-]+\.(?:p12|pfx|ppk|key))$/i;
/** Directories whose whole content is credentials. */
const CREDENTIAL_DIR = /(?:^|\/)\.(?:ssh|aws|kube|gnupg)\/?$/;
/** Credential files recognisable by their parent directory. */
const CREDENTIAL_PATH = /(?:^|\/)(?:\.docker\/config\.json|\.aws\/credentials|\.kube\/config|\.config\/gcloud\/[\w.-]+\.json)$/;
/** Public material that lives in .ssh or next to keys: not a secret. */
const PUBLIC_SSH = /^(?:known_hosts|config|authorized_keys|[\w.-]+\.pub)$/;
/** .pem/.key files that hold public material: CA and certificate bundles, package-signing (GPG) keys. */
const PUBLIC_KEY_FILE =
  /cert|(?:^|[-_.])ca(?:[-_.]|$)|chain|bundle|root|intermediate|pub(?:lic)?|trust|gpg|pgp|apt|repo|archive|keyring|signing/i;
const PUBLIC_KEY_DEST =
  /ca-certificates|\/etc\/ssl\/certs|\/etc\/pki\/|ca-trust|\/certs?\/?$|keyrings|trusted\.gpg|\/etc\/apt\//i;

/** Why a COPY/ADD source or destination is a credential, or undefined. */
function credentialPath(p: string, dest: string): string | undefined {
  const path = p.replace(/^\.\//, '');
  const name = basename(path.replace(/\/+$/, ''));
  if (CREDENTIAL_PATH.test(path)) return path;
  if (CREDENTIAL_DIR.test(path)) return path;
  if (/\.(?:pem|key)$/i.test(name) && (PUBLIC_KEY_FILE.test(name) || PUBLIC_KEY_DEST.test(dest))) return undefined;
  if (/\.pem$/i.test(name)) return name;
  if (CREDENTIAL_BASENAME.test(name)) return name;
  return undefined;
}

/** COPY/ADD: sources and destination (flags such as --from and --chown dropped; JSON form understood). */
function copyOperands(args: string): { sources: string[]; dest: string } | undefined {
  let rest = args;
  for (;;) {
    const f = /^--[\w-]+(?:=(?:"[^"]*"|\S*))?\s*/.exec(rest);
    if (!f) break;
    rest = rest.slice(f[0].length);
  }
  let operands: string[];
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (!Array.isArray(parsed)) return undefined;
      operands = parsed.map(String);
    } catch {
      return undefined;
    }
  } else operands = words(rest).map(unquote);
  if (operands.length < 2) return undefined;
  return { sources: operands.slice(0, -1), dest: operands.at(-1)! };
}

/** Names a RUN's secret mounts expose as variables (`--mount=type=secret,id=x,env=NAME`), which are safe. */
function secretMountEnv(args: string): Set<string> {
  const out = new Set<string>();
  for (const m of args.matchAll(/--mount=(\S+)/g)) {
    if (!/(?:^|,)type=secret(?:,|$)/.test(m[1]!)) continue;
    const env = /(?:^|,)env=([A-Za-z_]\w*)/.exec(m[1]!);
    if (env) out.add(env[1]!);
  }
  return out;
}

/**
 * Commands that persist the value they are given: a redirect into a file, tee, `sed -i` filling a
 * template, and tools that store credentials in their own config (git config, npm/yarn config set,
 * docker login, a clone URL with the token, kept in .git/config).
 */
const PERSISTS =
  /(?:^|[^0-9&<>])>{1,2}\s*(?!&|\/dev\/(?:null|stdout|stderr)\b)\S|\btee\b|\bsed\b[^|]*\s-i|\bgit\s+config\b|\b(?:npm|yarn|pnpm)\s+config\s+set\b|\bdocker\s+login\b|\bgit\s+clone\s+\S*\$\{?\w+\}?@|\bgit\s+remote\s+(?:add|set-url)\b[^\n]*\$\{?\w+\}?@/;

function shellCommands(script: string): string[] {
  return script
    .split(/&&|\|\||;|\n/)
    .map((c) => c.trim())
    .filter((c) => c !== '' && !c.startsWith('#'));
}

/** Line of `needle` within an instruction that spans several lines, else the instruction's first line. */
function lineIn(ctx: PostureContext, ins: Instruction, needle: string): number {
  const at = ctx.findLine(needle, ins.line);
  return at >= ins.line && at <= ins.end ? at : ins.line;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_EVIDENCE ? `${one.slice(0, MAX_EVIDENCE - 1)}…` : one;
}

function analyzeInstructions(ctx: PostureContext, instructions: Instruction[]): void {
  /** Build arguments declared so far, by name. Values passed with --build-arg land in the image history. */
  const args = new Set<string>();
  for (const ins of instructions) {
    switch (ins.keyword) {
      case 'ARG':
      case 'ENV': {
        for (const { key, value } of keyValues(ins.keyword, ins.args)) {
          if (ins.keyword === 'ARG') args.add(key);
          if (value === undefined || value.trim() === '') continue;
          const refs = [...value.matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((m) => m[1]!);
          if (refs.length > 0) {
            // ENV NPM_TOKEN=$NPM_TOKEN copies a build argument into the image config of every container.
            const arg = refs.find((r) => args.has(r) && (isSecretName(r) || isSecretName(key)));
            if (ins.keyword === 'ENV' && arg) {
              ctx.report({
                ruleId: RULE.baked,
                line: lineIn(ctx, ins, `${key}`),
                evidence: clip(`ENV ${key}=${value}`),
                message: `ENV ${key} persists the build argument ${arg} in the image configuration`,
              });
            }
            continue;
          }
          if (!isSecretName(key) || isNonSecretValue(value)) continue;
          ctx.report({
            ruleId: RULE.secretValue,
            line: lineIn(ctx, ins, `${key}`),
            evidence: `${ins.keyword} ${key}=${redact(value)}`,
            message:
              ins.keyword === 'ENV'
                ? `ENV ${key} stores a literal secret in the image configuration`
                : `ARG ${key} has a literal secret default, recorded in the image history`,
          });
        }
        break;
      }
      case 'COPY':
      case 'ADD': {
        const ops = copyOperands(ins.args);
        if (!ops) break;
        const local = ops.sources.filter((s) => !/^(?:https?|git|ssh):\/\/|^git@|^<</.test(s));
        let what: string | undefined = local.map((s) => credentialPath(s, ops.dest)).find((h) => h !== undefined);
        if (!what && CREDENTIAL_DIR.test(ops.dest)) {
          // Into ~/.ssh/ and the like: a credential unless only public files (known_hosts, *.pub) go there.
          if (!ops.sources.every((s) => PUBLIC_SSH.test(basename(s)))) what = ops.dest;
        } else if (!what && !ops.dest.endsWith('/')) what = credentialPath(ops.dest, ops.dest);
        if (!what) break;
        ctx.report({
          ruleId: RULE.credentialFile,
          line: ins.line,
          evidence: clip(`${ins.keyword} ${ins.args}`),
          message: `${ins.keyword} puts ${what} into an image layer, where every puller can read it`,
        });
        break;
      }
      case 'RUN': {
        const mounted = secretMountEnv(ins.args);
        const script = [ins.args.replace(/--mount=\S+\s*/g, ''), ...ins.heredocs].join('\n');
        for (const cmd of shellCommands(script)) {
          if (!PERSISTS.test(cmd)) continue;
          const name = [...cmd.matchAll(/\$\{?([A-Za-z_]\w*)/g)]
            .map((m) => m[1]!)
            .find((n) => args.has(n) && !mounted.has(n) && isSecretName(n));
          if (!name) continue;
          ctx.report({
            ruleId: RULE.baked,
            line: lineIn(ctx, ins, cmd.split(/\s+/).slice(0, 2).join(' ')),
            evidence: clip(`RUN ${cmd}`),
            message: `The build argument ${name} is written to disk and recorded in the image history`,
          });
          break;
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * Dockerfiles and Containerfiles.
 * @example await analyzePosture('Dockerfile', 'FROM node:20\nENV NPM_TOKEN=…', { analyzers: [dockerfileAnalyzer] })
 */
export const dockerfileAnalyzer: PostureAnalyzer = {
  id: 'dockerfile',
  accepts: (path) => {
    const name = basename(path);
    return DOCKERFILE_NAME.test(name) && !NOT_DOCKERFILE.test(name);
  },
  analyze(ctx) {
    if (ctx.text.includes('\u0000')) {
      ctx.malformed('binary content');
      return;
    }
    const { instructions, error } = parseDockerfile(ctx.text);
    if (error) {
      ctx.malformed(error);
      return;
    }
    analyzeInstructions(ctx, instructions);
  },
};
