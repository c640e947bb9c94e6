import { parse as parseYaml } from 'yaml';
import { isPlaceholder } from '../secrets/placeholders.js';
import { redact } from '../secrets/redact.js';
import type { PostureAnalyzer, PostureContext } from './types.js';
import { loadFast, quietOn, YAML_CORE } from './yaml-fast.js';

/**
 * Agent and MCP client configuration: which MCP servers an agent starts or connects to, with what
 * credentials and reach. Reads the formats of Claude Desktop and Claude Code (`mcpServers`), Cursor,
 * Windsurf (`serverUrl`), Cline, Gemini CLI (`httpUrl`), VS Code (`servers`, `${input:}`), Zed
 * (`context_servers`) and Continue (YAML, `mcpServers` as a list).
 */

// ---------------------------------------------------------------------------------------------------
// Reading the file

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * JSON with comments and trailing commas, as VS Code (`.vscode/mcp.json`) and Zed write it: both are
 * removed outside strings, so plain JSON.parse can read the result.
 */
export function stripJsonc(text: string): string {
  return outsideStrings(outsideStrings(text, stripComment), dropTrailingComma);
}

type Step = (text: string, i: number) => { skip: number; keep: string } | undefined;

/** Runs `step` at every position outside JSON strings; strings are copied untouched. */
function outsideStrings(text: string, step: Step): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
      continue;
    }
    const r = step(text, i);
    if (r) {
      out += r.keep;
      i += r.skip;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

const stripComment: Step = (text, i) => {
  if (text[i] !== '/') return undefined;
  if (text[i + 1] === '/') {
    const end = text.indexOf('\n', i);
    return { skip: (end < 0 ? text.length : end) - i, keep: '' };
  }
  if (text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    const stop = end < 0 ? text.length : end + 2;
    // Keep the line breaks so positions in error messages still match the file.
    return { skip: stop - i, keep: text.slice(i, stop).replace(/[^\n]/g, '') };
  }
  return undefined;
};

const dropTrailingComma: Step = (text, i) => {
  if (text[i] !== ',') return undefined;
  let j = i + 1;
  while (j < text.length && /\s/.test(text[j]!)) j++;
  return text[j] === '}' || text[j] === ']' ? { skip: 1, keep: '' } : undefined;
};

interface Server {
  name: string;
  command: string | undefined;
  args: string[];
  env: Array<[string, string]>;
  headers: Array<[string, string]>;
  url: string | undefined;
  /** OAuth or another auth block is configured, so the client authenticates without a static header. */
  authConfigured: boolean;
}

function stringEntries(v: unknown): Array<[string, string]> {
  if (!isObject(v)) return [];
  return Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string');
}

function normalize(name: string, raw: JsonObject): Server {
  // Some clients nest the transport (`"transport": { "type": "http", "url": … }`).
  const cfg: JsonObject = isObject(raw.transport) ? { ...raw, ...raw.transport } : raw;
  let command = asString(cfg.command);
  let args = Array.isArray(cfg.args) ? cfg.args.filter((a): a is string => typeof a === 'string') : [];
  let env = stringEntries(cfg.env);
  // Zed's older form: "command": { "path": "npx", "args": [...], "env": {...} }.
  if (isObject(cfg.command)) {
    command = asString(cfg.command.path) ?? asString(cfg.command.command);
    const a = cfg.command.args;
    args = Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
    env = stringEntries(cfg.command.env);
  }
  // A whole command line in `command` with no args: some clients pass it to a shell.
  if (command && args.length === 0 && /\s/.test(command.trim()) && !/^[A-Za-z]:\\|^\//.test(command.trim())) {
    [command, ...args] = tokenize(command);
  }
  const headers = [
    ...stringEntries(cfg.headers),
    ...stringEntries(cfg.http_headers),
    ...stringEntries(isObject(cfg.requestInit) ? cfg.requestInit.headers : undefined),
    ...stringEntries(isObject(cfg.requestOptions) ? cfg.requestOptions.headers : undefined),
  ];
  const url = asString(cfg.url) ?? asString(cfg.serverUrl) ?? asString(cfg.httpUrl);
  const authConfigured = ['oauth', 'auth', 'authProviderType', 'bearer_token_env_var', 'authorization_token'].some(
    (k) => cfg[k] !== undefined && cfg[k] !== null && cfg[k] !== false,
  );
  return { name, command, args, env, headers, url, authConfigured };
}

function fromMap(v: unknown, requireShape: boolean): Server[] {
  if (!isObject(v)) return [];
  const out: Server[] = [];
  for (const [name, cfg] of Object.entries(v)) {
    if (!isObject(cfg)) continue;
    const shaped = ['command', 'url', 'serverUrl', 'httpUrl', 'transport'].some((k) => k in cfg);
    if (requireShape && !shaped) continue;
    out.push(normalize(name, cfg));
  }
  return out;
}

/** The servers of every known layout; an empty list when the file holds none. */
function collectServers(doc: unknown): Server[] {
  if (!isObject(doc)) return [];
  const out: Server[] = [];
  const mcp = doc.mcpServers;
  if (Array.isArray(mcp)) {
    // Continue lists servers with a `name` field.
    for (const cfg of mcp) if (isObject(cfg)) out.push(normalize(asString(cfg.name) ?? 'server', cfg));
  } else {
    out.push(...fromMap(mcp, false));
  }
  // VS Code: top-level `servers` in mcp.json, `mcp.servers` in settings.json.
  out.push(...fromMap(doc.servers, true));
  if (isObject(doc.mcp)) out.push(...fromMap(doc.mcp.servers, true));
  out.push(...fromMap(doc.context_servers, true));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Command lines

/** Splits a command line on blanks, honouring single and double quotes. */
function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

const baseName = (cmd: string): string => (cmd.split(/[\\/]/).pop() ?? cmd).toLowerCase().replace(/\.(?:exe|cmd|bat|ps1)$/, '');

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'fish', 'powershell', 'pwsh']);

interface Launch {
  cmd: string;
  args: string[];
}

/**
 * What actually runs: `cmd /c npx …`, `bash -c "cd x && uvx …"` and `env K=V npx …` are unwrapped so
 * the checks see the launcher and package, not the shell that starts them.
 */
function unwrap(cmd: string, args: string[], depth = 0): Launch[] {
  const base = baseName(cmd);
  if (depth > 3) return [{ cmd: base, args }];
  if (base === 'cmd' && /^\/[ck]$/i.test(args[0] ?? '')) {
    const rest = args.length === 2 ? tokenize(args[1]!) : args.slice(1);
    return rest[0] ? unwrap(rest[0], rest.slice(1), depth + 1) : [];
  }
  if (SHELLS.has(base)) {
    const i = args.findIndex((a) => /^-[a-z]*c$/i.test(a) || /^-command$/i.test(a));
    if (i >= 0 && args[i + 1] !== undefined) {
      return args[i + 1]!.split(/&&|\|\||;/).flatMap((seg) => {
        const t = tokenize(seg.trim());
        return t[0] ? unwrap(t[0], t.slice(1), depth + 1) : [];
      });
    }
  }
  // Prefixes that run the rest of the line: `exec uvx …`, `nohup npx …`.
  if ((base === 'exec' || base === 'nohup' || base === 'command') && args[0]) return unwrap(args[0], args.slice(1), depth + 1);
  if (base === 'env') {
    const i = args.findIndex((a) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a) && !a.startsWith('-'));
    return i >= 0 ? unwrap(args[i]!, args.slice(i + 1), depth + 1) : [];
  }
  return [{ cmd: base, args }];
}

/** A package or image a launcher fetches, and the arguments passed on to the server. */
interface Fetched {
  launcher: string;
  ecosystem: 'npm' | 'pypi' | 'docker' | 'jsr';
  spec: string;
  rest: string[];
}

/** Options that take a value, per launcher: the value is not the package. */
const VALUE_OPTS: Record<string, Set<string>> = {
  npx: new Set(['-p', '--package', '-c', '--call', '--registry', '--cache', '--userconfig', '-w', '--workspace']),
  uvx: new Set([
    '--from',
    '--with',
    '--with-editable',
    '--with-requirements',
    '--python',
    '-p',
    '--index',
    '--index-url',
    '--extra-index-url',
    '--default-index',
    '--constraints',
    '--overrides',
    '--env-file',
    '--directory',
    '--project',
    '--cache-dir',
    '--config-file',
    '--python-preference',
    '--index-strategy',
  ]),
  pipx: new Set(['--spec', '--python', '--index-url', '--pip-args']),
  docker: new Set([
    '-e',
    '--env',
    '--env-file',
    '-v',
    '--volume',
    '--mount',
    '--name',
    '--network',
    '--net',
    '-p',
    '--publish',
    '-w',
    '--workdir',
    '-u',
    '--user',
    '--entrypoint',
    '-l',
    '--label',
    '--platform',
    '--pull',
    '-m',
    '--memory',
    '--cpus',
    '--add-host',
    '--cap-add',
    '--cap-drop',
    '--security-opt',
    '--hostname',
    '-h',
    '--pid',
    '--ipc',
    '--restart',
    '--log-driver',
    '--tmpfs',
    '--device',
    '--gpus',
    '--ulimit',
    '--shm-size',
    '--runtime',
    '--dns',
    '--cidfile',
    '--group-add',
    '--stop-signal',
    '--stop-timeout',
  ]),
  deno: new Set(['--config', '-c', '--import-map', '--lock', '--cert', '--location', '--seed', '--v8-flags', '--env-file']),
};

/** Splits arguments into option values (by name) and positionals, stopping at the first positional. */
function scan(args: string[], valueOpts: Set<string>): { opts: Array<[string, string]>; first: number } {
  const opts: Array<[string, string]> = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') return { opts, first: i + 1 };
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    if (eq > 0) opts.push([a.slice(0, eq), a.slice(eq + 1)]);
    else if (valueOpts.has(a) && i + 1 < args.length) opts.push([a, args[++i]!]);
    else opts.push([a, '']);
    i++;
  }
  return { opts, first: i };
}

function fetched(l: Launch): Fetched[] {
  let { cmd, args } = l;
  // Package-manager spellings of npx: `npm exec`, `npm x`, `pnpm dlx`, `yarn dlx`, `bun x`.
  if ((cmd === 'npm' && (args[0] === 'exec' || args[0] === 'x')) || ((cmd === 'pnpm' || cmd === 'yarn') && args[0] === 'dlx')) {
    cmd = 'npx';
    args = args.slice(1);
  } else if (cmd === 'bun' && args[0] === 'x') {
    cmd = 'npx';
    args = args.slice(1);
  } else if (cmd === 'bunx' || cmd === 'pnpx') {
    cmd = 'npx';
  } else if (cmd === 'uv' && args[0] === 'tool' && args[1] === 'run') {
    cmd = 'uvx';
    args = args.slice(2);
  } else if (cmd === 'pipx' && args[0] === 'run') {
    args = args.slice(1);
  } else if ((cmd === 'docker' || cmd === 'podman') && (args[0] === 'run' || (args[0] === 'container' && args[1] === 'run'))) {
    cmd = 'docker';
    args = args.slice(args[0] === 'run' ? 1 : 2);
  } else if (cmd === 'deno' && args[0] === 'run') {
    args = args.slice(1);
  } else if (cmd !== 'npx' && cmd !== 'uvx') {
    return [];
  }
  const { opts, first } = scan(args, VALUE_OPTS[cmd] ?? new Set());
  const positional = args[first];
  const rest = args.slice(first + 1);
  switch (cmd) {
    case 'npx': {
      const pkgs = opts.filter(([k]) => k === '-p' || k === '--package').map(([, v]) => v);
      if (pkgs.length > 0) return pkgs.map((spec) => ({ launcher: 'npx', ecosystem: 'npm', spec, rest: args.slice(first) }));
      return positional ? [{ launcher: 'npx', ecosystem: 'npm', spec: positional, rest }] : [];
    }
    case 'uvx': {
      const from = opts.find(([k]) => k === '--from')?.[1];
      const spec = from ?? positional;
      return spec ? [{ launcher: 'uvx', ecosystem: 'pypi', spec, rest: from ? args.slice(first) : rest }] : [];
    }
    case 'pipx': {
      const spec = opts.find(([k]) => k === '--spec')?.[1] ?? positional;
      return spec ? [{ launcher: 'pipx run', ecosystem: 'pypi', spec, rest }] : [];
    }
    case 'docker':
      return positional ? [{ launcher: 'docker run', ecosystem: 'docker', spec: positional, rest }] : [];
    case 'deno': {
      if (!positional) return [];
      const m = /^(npm|jsr):(.+)$/.exec(positional);
      return m ? [{ launcher: 'deno run', ecosystem: m[1] === 'npm' ? 'npm' : 'jsr', spec: m[2]!, rest }] : [];
    }
    default:
      return [];
  }
}

const EXACT_SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const GIT_COMMIT = /[#@][0-9a-f]{7,40}$/i;
const TEMPLATED = /\$\{|\$[A-Z_]|\{\{|%[A-Z_]+%/;

/** Splits `@scope/name@1.2.3` or `name@latest` into name and version. */
function npmNameVersion(spec: string): { name: string; version: string | undefined } {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at < 0 ? { name: spec, version: undefined } : { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

function pypiName(spec: string): string {
  return spec.split(/[=<>!~@[;\s]/)[0]!.trim();
}

/** The package or image name, without version, for recognising well-known servers. */
function packageName(f: Fetched): string {
  if (f.ecosystem === 'docker') return f.spec.split('@')[0]!.replace(/:[^/:]*$/, '');
  if (f.ecosystem === 'pypi') return pypiName(f.spec);
  return npmNameVersion(f.spec).name;
}

/** Why a fetched spec floats, or undefined when it is pinned, local or not ours to judge. */
function unpinnedReason(f: Fetched): string | undefined {
  const s = f.spec;
  if (TEMPLATED.test(s) || /^(?:\.|\/|~|[A-Za-z]:[\\/]|file:)/.test(s)) return undefined;
  if (f.ecosystem === 'docker') {
    if (s.includes('@sha256:')) return undefined;
    const tag = /:([^/:]+)$/.exec(s)?.[1];
    if (tag === undefined) return 'no tag (latest)';
    return tag === 'latest' ? 'tag latest' : undefined;
  }
  if (f.ecosystem === 'pypi') {
    if (/^git\+/.test(s)) return GIT_COMMIT.test(s) ? undefined : 'git reference without a commit';
    if (/===?\s*[\w.+!-]+$/.test(s) && !s.includes('*')) return undefined;
    const at = /@\s*([\w.+!-]+)$/.exec(s)?.[1];
    if (at && at !== 'latest') return undefined;
    return at === 'latest' ? '@latest' : 'no version';
  }
  // npm and jsr
  if (/^(?:https?:)/.test(s)) return undefined; // a tarball URL names one file
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:)/.test(s) || (!s.startsWith('@') && s.includes('/'))) {
    return GIT_COMMIT.test(s) ? undefined : 'git reference without a commit';
  }
  const { version } = npmNameVersion(s);
  if (version === undefined || version === '') return 'no version';
  if (EXACT_SEMVER.test(version)) return undefined;
  return `@${version}`;
}

/** Packages that hand the model a shell; tokens of the package name, e.g. server-shell, mcp-server-commands. */
const SHELL_TOKENS = new Set(['shell', 'terminal', 'bash', 'zsh', 'powershell', 'cmd', 'exec', 'command', 'commands']);
const SHELL_PACKAGES = new Set(['@wonderwhy-er/desktop-commander', 'desktop-commander', 'iterm-mcp']);

function isShellServer(name: string): boolean {
  const n = name.toLowerCase();
  if (SHELL_PACKAGES.has(n)) return true;
  // A bare `exec` or `shell` is a shell word, not a server's name: require a compound name.
  const tokens = n.split(/[@/_.:-]+/).filter(Boolean);
  return tokens.length > 1 && tokens.some((t) => SHELL_TOKENS.has(t));
}

/** Flags that switch off a tool's own permission prompts or sandbox. */
const BYPASS_FLAG =
  /^--(?:dangerously[-\w]*|allow-all(?:-[a-z]+)*|yolo|unrestricted|full-access|allow-any-command|no-confirm(?:ation)?s?)(?:=.*)?$/i;

/** Directories that amount to the whole disk or the whole home directory. */
function isRootDir(d: string): boolean {
  const v = d.trim().replace(/^["']|["']$/g, '');
  return (
    /^(?:\/|~\/?|\$HOME\/?|\$\{HOME\}\/?|\$\{env:HOME\}\/?|\$\{userHome\}\/?|%USERPROFILE%\\?|%HOMEDRIVE%%HOMEPATH%\\?)$/i.test(
      v,
    ) ||
    /^[A-Za-z]:[\\/]*$/.test(v) ||
    /^\/(?:home|Users)(?:\/[^/]+)?\/?$|^\/root\/?$/.test(v) ||
    /^[A-Za-z]:[\\/]+Users(?:[\\/]+[^\\/]+)?[\\/]*$/i.test(v)
  );
}

// ---------------------------------------------------------------------------------------------------
// Secrets

const SECRET_NAME =
  /token|secret|passw|pwd|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credential|auth|cookie|session|bearer/i;
const SECRET_NAME_SUFFIX = /(?:^|[-_.])(?:key|pat)$|[a-z](?:Key|Pat)$/;
/** Names whose values are addresses, identifiers or settings that sit beside a secret. */
const NOT_SECRET_NAME =
  /(?:^|[-_]|[a-z])(?:url|uri|endpoint|host|path|file|dir|id|name|user|username|email|region|type|mode|enabled|timeout|header|expiry|expires|ttl|scopes?|method|provider|format|version|port|prefix|length|env|var|location)$/i;

/** Token formats recognisable without a name: vendor prefixes, JWTs and PEM private keys. */
const KNOWN_SHAPE =
  /(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{40,}|glpat-[\w-]{20,}|xox[abposr]-[\w-]{10,}|sk-(?:ant-|proj-)?[\w-]{20,}|[sr]k_live_\w{16,}|AKIA[0-9A-Z]{16}|AIza[\w-]{35}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}|pypi-[\w-]{50,}|lin_api_\w{30,}|eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY-----)/;

/** README stand-ins that isPlaceholder's general list does not catch ("your-github-token-here"). */
const STAND_IN =
  /your[-_ ]?[a-z0-9_-]*(?:key|token|secret|password|pat|here|id)|[-_ ]here$|^(?:test|mock|fake|dummy)[-_]|[-_](?:test|mock|fake|dummy)$|\.\.\.|…|^(?:todo|tbd|none|null|undefined|n\/a|xxx+)$|\b(?:replace|insert|enter|put)[-_ ](?:with|your|the|here)|^\{env:[^}]+\}$|^env:[A-Z_]+$/i;

/** A reference (`${VAR}`, `${input:id}`, `{{ … }}`) or a documentation stand-in rather than a value. */
export function isReference(value: string): boolean {
  return isPlaceholder(value) || STAND_IN.test(value) || TEMPLATED.test(value);
}

/** Whether a variable, header, flag or key name says it holds a secret (`GITHUB_TOKEN`, `apiKey`, `tls.key`). */
export const secretName = (name: string): boolean =>
  (SECRET_NAME.test(name) || SECRET_NAME_SUFFIX.test(name)) && !NOT_SECRET_NAME.test(name);

/**
 * The credential in a named value, or undefined: an env var, header or flag whose name says secret and
 * whose value is a literal (not a reference, path, URL or stand-in), or any value of a known token shape.
 */
function secretIn(name: string, value: string): string | undefined {
  const v = value
    .trim()
    .replace(/^(?:Bearer|Basic|Token|Bot|ApiKey)\s+/i, '')
    .trim();
  if (v === '' || isReference(v)) return undefined;
  const shape = KNOWN_SHAPE.exec(v)?.[0];
  if (shape && !isReference(shape)) return v;
  if (!secretName(name)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return urlSecret(v)?.value;
  if (/^(?:\.{0,2}\/|~|[A-Za-z]:\\)/.test(v)) return undefined; // a path to a key file, not the key
  return looksGenerated(v) ? v : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A value behind a secret-sounding name that reads like a credential: long enough, one word, and not
 * a plain word or setting ("persistent", "read_only"): a digit, mixed case or a symbol besides - _ .
 */
export function looksGenerated(v: string): boolean {
  // Credentials are printable ASCII; "github_pat_<your token, in another script>" is a stand-in.
  if (v.length < 8 || !/^[\x21-\x7e]+$/.test(v) || /^\d+$/.test(v)) return false;
  return !/^[a-z]+(?:[-_.][a-z]+)*$/.test(v) && !/^[A-Z]+(?:[-_.][A-Z]+)*$/.test(v);
}

/** A password in a URL's user info, a secret-named query parameter, or a known token shape in its path. */
function urlSecret(url: string): { what: string; value: string } | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/\s@]+)@/i.exec(url);
  if (m) {
    const colon = m[1]!.indexOf(':');
    const pw = colon >= 0 ? m[1]!.slice(colon + 1) : m[1]!;
    if (colon >= 0 && looksGenerated(pw) && !isReference(pw)) return { what: 'user info', value: pw };
  }
  const q = url.indexOf('?');
  if (q >= 0) {
    for (const part of url.slice(q + 1).split(/[&#]/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const key = safeDecode(part.slice(0, eq));
      const val = part.slice(eq + 1);
      if (looksGenerated(val) && secretName(key) && !isReference(val)) return { what: `query ${key}`, value: val };
    }
  }
  const shape = KNOWN_SHAPE.exec(url)?.[0];
  return shape && !isReference(shape) ? { what: 'path', value: shape } : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Remote endpoints

function hostOf(url: string): string | undefined {
  if (TEMPLATED.test(url)) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\./.test(host) ||
    host === '::1' ||
    host === '0.0.0.0' ||
    host === 'host.docker.internal'
  );
}

/** Private addresses and internal names: services reached on the assumption that the network is trusted. */
function isInternal(host: string): boolean {
  return (
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(?:1[6-9]|2\d|3[01])\./.test(host) ||
    /^169\.254\./.test(host) ||
    /^f[cd][0-9a-f]{2}:/.test(host) ||
    !host.includes('.') ||
    /\.(?:internal|local|lan|corp|intranet|home\.arpa|svc|cluster\.local|consul)$/.test(host)
  );
}

const AUTH_HEADER = /^(?:authorization|proxy-authorization|cookie)$|token|key|auth|secret|session/i;

// ---------------------------------------------------------------------------------------------------

interface Locator {
  /** Line of the server's entry. */
  server(name: string): number;
  /** Line of a value (as it appears in the parsed document) at or after `from`. */
  value(v: string, from: number): number;
}

function locator(ctx: PostureContext, json: boolean): Locator {
  return {
    server: (name) =>
      ctx.findLine(
        json ? JSON.stringify(name) : new RegExp(`(?:^|\\s)${escapeRe(name)}\\s*:|name:\\s*["']?${escapeRe(name)}`, 'm'),
      ),
    value: (v, from) => ctx.findLine(json ? JSON.stringify(v).slice(1, -1) : v, from),
  };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkServer(ctx: PostureContext, s: Server, loc: Locator): void {
  const at = loc.server(s.name);
  const secret = (where: string, name: string, raw: string): void => {
    const value = secretIn(name, raw);
    if (!value) return;
    ctx.report({
      ruleId: 'posture.mcp.plaintext-secret',
      line: loc.value(raw, at),
      evidence: `${s.name}: ${where}${name ? ` ${name}` : ''}=${redact(value)}`,
      message: `MCP server "${s.name}" is given a credential in plain text (${`${where} ${name}`.trim()})`,
    });
  };

  for (const [k, v] of s.env) secret('env', k, v);
  for (const [k, v] of s.headers) if (AUTH_HEADER.test(k) || KNOWN_SHAPE.test(v)) secret('header', k, v);

  const launches = s.command ? unwrap(s.command, s.args) : [];
  const remote: Array<{ url: string; headers: Array<[string, string]>; via: string }> = [];
  if (s.url) remote.push({ url: s.url, headers: s.headers, via: 'url' });

  for (const l of launches) {
    // Secrets on the command line: `--api-key X`, `--token=X`, `-e NAME=X`, `NAME=X`, `--header "Authorization: Bearer X"`.
    for (let i = 0; i < l.args.length; i++)
      checkArg(l.args[i]!, l.args[i + 1], secret, (what, value, raw) =>
        ctx.report({
          ruleId: 'posture.mcp.plaintext-secret',
          line: loc.value(raw, at),
          evidence: `${s.name}: arg URL ${what}=${redact(value)}`,
        }),
      );

    // One finding per launch, whatever number of reasons (a shell server started with --allow-all).
    const reasons: Array<{ why: string; needle: string }> = [];
    const exec = (why: string, needle: string): void => {
      reasons.push({ why, needle });
    };
    const fsRoot = (dir: string, via: string): void =>
      ctx.report({
        ruleId: 'posture.mcp.filesystem-root-access',
        line: loc.value(dir, at),
        evidence: `${s.name}: ${via} ${dir}`,
      });

    const flag = l.args.find((a) => BYPASS_FLAG.test(a)) ?? (l.cmd === 'deno' && l.args.includes('-A') ? '-A' : undefined);
    if (flag) exec(`${l.cmd} ${flag}`, flag);
    const allowList = s.env.some(
      ([k, v]) =>
        /^(?:ALLOW(?:ED)?_COMMANDS|COMMAND_ALLOWLIST|ALLOWED_COMMAND_LIST)$/i.test(k) && v.trim() !== '' && v.trim() !== '*',
    );
    const restricted = allowList || l.args.some((a) => /^--(?:allow(?:ed)?-commands?|allowlist|whitelist)\b/i.test(a));

    const packages = fetched(l);
    // A server installed on PATH and run by name is judged by that name.
    const names = packages.length > 0 ? packages.map(packageName) : [l.cmd];
    const interpreter =
      SHELLS.has(l.cmd) || l.cmd === 'cmd' || /^(?:node|python\d?(?:\.\d+)?|deno|bun|java|ruby|go)$/.test(l.cmd);
    for (const name of names) {
      if (!interpreter && !restricted && isShellServer(name)) exec(`shell server ${name}`, name);
    }

    for (const f of packages) {
      const name = packageName(f);
      if (/filesystem/i.test(name)) {
        for (const d of f.rest) {
          const dir = d.includes('=') ? d.slice(d.indexOf('=') + 1) : d;
          if ((!d.startsWith('-') || d.includes('=')) && isRootDir(dir)) fsRoot(dir, `${name} allowed directory`);
        }
      }
      if (/(?:^|[/@-])mcp-remote$/.test(name)) {
        const url = f.rest.find((r) => /^(?:https?|wss?):\/\//i.test(r));
        const headers: Array<[string, string]> = [];
        for (let i = 0; i < f.rest.length; i++) {
          const h = f.rest[i] === '--header' ? f.rest[i + 1] : undefined;
          const c = h?.indexOf(':') ?? -1;
          if (h && c > 0) headers.push([h.slice(0, c).trim(), h.slice(c + 1).trim()]);
        }
        if (url) remote.push({ url, headers, via: 'mcp-remote' });
      }
      const why = unpinnedReason(f);
      if (why) {
        ctx.report({
          ruleId: 'posture.mcp.unpinned-package',
          line: loc.value(f.spec, at),
          evidence: `${s.name}: ${f.launcher} ${f.spec} (${why})`,
        });
      }
      if (f.ecosystem === 'docker') checkDockerOptions(l, exec, fsRoot);
    }
    if (reasons[0]) {
      ctx.report({
        ruleId: 'posture.mcp.unrestricted-command-execution',
        line: loc.value(reasons[0].needle, at),
        evidence: `${s.name}: ${reasons.map((r) => r.why).join(', ')}`,
      });
    }
  }

  for (const r of remote) {
    const host = hostOf(r.url);
    if (!host) continue;
    const proto = r.url.slice(0, r.url.indexOf(':')).toLowerCase();
    const line = loc.value(r.url, at);
    const shown = `${proto}://${host}`;
    if ((proto === 'http' || proto === 'ws') && !isLoopback(host)) {
      ctx.report({ ruleId: 'posture.mcp.remote-insecure-transport', line, evidence: `${s.name}: ${r.via} ${shown}` });
    }
    const u = urlSecret(r.url);
    // mcp-remote's URL is an argument, already checked with the others.
    if (u && r.via === 'url')
      ctx.report({ ruleId: 'posture.mcp.plaintext-secret', line, evidence: `${s.name}: url ${u.what}=${redact(u.value)}` });
    const hasAuth = s.authConfigured || u !== undefined || r.headers.some(([k]) => AUTH_HEADER.test(k));
    // Public endpoints without a header normally use OAuth discovery (MCP authorization spec); an
    // internal one without credentials relies on network location alone.
    if (!hasAuth && !isLoopback(host) && isInternal(host)) {
      ctx.report({
        ruleId: 'posture.mcp.remote-internal-no-auth',
        line,
        evidence: `${s.name}: ${r.via} ${shown} without credentials`,
      });
    }
  }
}

/** Secrets on the command line: `--api-key X`, `--token=X`, `-e NAME=X`, `--header "Authorization: Bearer X"`, URLs. */
function checkArg(
  a: string,
  next: string | undefined,
  secret: (where: string, name: string, raw: string) => void,
  inUrl: (what: string, value: string, raw: string) => void,
): void {
  const withValue = /^--?([A-Za-z][\w-]*)=(.+)$/.exec(a);
  const bare = /^--?([A-Za-z][\w-]*)$/.exec(a);
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(a);
  const header = /^([\w-]+):\s*(.+)$/.exec(a);
  if (withValue) secret('arg', `--${withValue[1]}`, withValue[2]!);
  else if (bare && next !== undefined && !next.startsWith('-') && secretName(bare[1]!)) secret('arg', a, next);
  else if (assignment) secret('arg', assignment[1]!, assignment[2]!);
  else if (header && AUTH_HEADER.test(header[1]!)) secret('arg header', header[1]!, header[2]!);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) {
    const u = urlSecret(a);
    if (u) inUrl(u.what, u.value, a);
  } else if (KNOWN_SHAPE.test(a)) secret('arg', '', a);
}

/** `docker run` options that hand the host to the container: privileged mode, the Docker socket, / or $HOME. */
function checkDockerOptions(
  l: Launch,
  exec: (why: string, needle: string) => void,
  fsRoot: (dir: string, via: string) => void,
): void {
  const { opts } = scan(l.args.slice(l.args[0] === 'container' ? 2 : 1), VALUE_OPTS.docker!);
  for (const [k, v] of opts) {
    if (k === '--privileged') exec('docker run --privileged', k);
    let src: string | undefined;
    if (k === '-v' || k === '--volume')
      src = v
        .split(':')
        .slice(0, /^[A-Za-z]:\\/.test(v) ? 2 : 1)
        .join(':');
    else if (k === '--mount') src = /(?:^|,)(?:src|source)=([^,]+)/.exec(v)?.[1];
    if (src === undefined) continue;
    if (src.includes('docker.sock')) exec(`docker run mounts ${src}`, v);
    else if (isRootDir(src)) fsRoot(src, 'docker run mounts');
  }
}

function checkDocument(ctx: PostureContext, doc: unknown, json: boolean): void {
  const loc = locator(ctx, json);
  for (const s of collectServers(doc)) checkServer(ctx, s, loc);
}

/**
 * Whether js-yaml's reading of a YAML configuration settles it (yaml-fast.ts): one document on which
 * the checks report nothing. Findings here are placed by text search, not by the parser, but any
 * report still goes through the `yaml` package so its values and messages stay the reference. Anchors
 * go to it too: its alias limit makes an alias bomb malformed.
 */
function settledFast(ctx: PostureContext): boolean {
  const fast = loadFast(ctx.text, { schema: YAML_CORE, anchors: 'none' });
  if (!fast.ok || fast.docs.length > 1) return false;
  return quietOn(ctx, (probe) => checkDocument(probe, fast.docs[0] ?? null, false));
}

/** One configuration file; `fast` lets the fast pass settle a YAML one that has nothing to report. */
function analyzeFile(ctx: PostureContext, fast: boolean): void {
  const json = !/\.ya?ml$/i.test(ctx.path);
  if (!json && fast && settledFast(ctx)) return;
  let doc: unknown;
  try {
    doc = json ? JSON.parse(stripJsonc(ctx.text)) : parseYaml(ctx.text);
  } catch (err) {
    ctx.malformed(`not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  checkDocument(ctx, doc, json);
}

const MCP_FILE =
  /(?:^|\/)(?:\.?mcp(?:[-_](?:config|settings|servers))?\.json[c5]?|claude_desktop_config\.json|cline_mcp_settings\.json)$/i;

/**
 * MCP client configuration analyzer: plaintext credentials, shell and whole-disk tools, insecure
 * remote endpoints and servers fetched unpinned at every start.
 * @example await analyzePosture('.cursor/mcp.json', text) // posture.mcp.* findings
 */
export const mcpAnalyzer: PostureAnalyzer = {
  id: 'mcp',
  accepts(path, head) {
    if (MCP_FILE.test(path)) return true;
    if (/\.json[c5]?$/i.test(path)) return /"(?:mcpServers|context_servers)"\s*:/.test(head);
    if (/\.ya?ml$/i.test(path)) return /^mcpServers\s*:/m.test(head);
    return false;
  },
  analyze: (ctx) => analyzeFile(ctx, true),
};

/** The same analyzer without the fast pass: for tests that hold the two to the same results. */
export const mcpExactAnalyzer: PostureAnalyzer = { ...mcpAnalyzer, analyze: (ctx) => analyzeFile(ctx, false) };
