import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { isoTime, msToIso, obj, stableId, str } from './util.js';

/**
 * AI agent activity as OpenTelemetry spans in OTLP/JSON: one record is one `ExportTraceServiceRequest`
 * document (`{"resourceSpans": [...]}`, what the collector's file exporter writes per line) or one
 * `resourceSpans` element. One event per relevant span.
 *
 * - OTLP/JSON encoding (hex trace and span ids, enums as integers, int64 as strings):
 *   https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 * - GenAI spans (`gen_ai.operation.name` = execute_tool | invoke_agent | chat …, `gen_ai.tool.*`,
 *   `gen_ai.agent.*`, `gen_ai.conversation.id`): https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
 *   and https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-agent-spans/
 * - MCP client spans (`mcp.method.name` = tools/call, `mcp.session.id`, `server.address`,
 *   `network.transport`; kind CLIENT; tool in `gen_ai.tool.name`): https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/
 *
 * Mapping decisions:
 * - Events for execute_tool spans and MCP `tools/call` spans (tag `tool.call`, action `tool:<name>`)
 *   and invoke_agent spans (tag `agent.invoke`, action `agent:invoke`). Chat, embeddings and other
 *   model calls are not identity actions and give no event; a document with no span at all is
 *   rejected (`no-spans`) so an empty export is counted, not silently passed.
 * - The server side of an MCP call (kind SERVER) is skipped: it is the same call the client span
 *   already reports, and it carries the MCP server's identity, not the agent's.
 * - Identity: `gen_ai.agent.id`, else `gen_ai.agent.name`, of the span or of its nearest ancestor in
 *   the same document (tool spans rarely repeat the agent attributes), else the resource's
 *   `service.name`. Session: `gen_ai.conversation.id`, else `mcp.session.id`.
 * - Outcome: status ERROR (2) → failure with `status.message` (else `error.type`); OK and UNSET →
 *   success unless `error.type` is set, since UNSET is what instrumentations leave on a call that
 *   did not fail (OTel trace API, "Set Status").
 * - Tool arguments and results (`gen_ai.tool.call.arguments/result`) and `url.full` are never copied:
 *   they may carry secrets; only the destination host is kept.
 */
export const createAgentTraceParser: EventParserFactory = (): EventParser => ({
  source: 'agent-trace',
  detect,
  push(record: unknown, origin: RecordOrigin) {
    try {
      return pushDocument(record, origin);
    } catch (err) {
      // Defensive: the mapping reads untrusted JSON only through obj/str guards, so this is a bug.
      return { reject: 'parser-error', detail: (err as Error).message };
    }
  },
  flush: () => [],
});

/** A whole OTLP/JSON trace export, or one of its `resourceSpans` elements. */
function detect(record: unknown): boolean {
  const o = obj(record);
  return o !== undefined && (Array.isArray(o.resourceSpans) || (Array.isArray(o.scopeSpans) && obj(o.resource) !== undefined));
}

// OTLP enums (opentelemetry-proto trace.proto): SpanKind and Status.StatusCode.
const KIND_SERVER = 2;
const STATUS_ERROR = 2;

interface ResourceInfo {
  service: string | undefined;
  environment: string | undefined;
  host: string | undefined;
}

interface SpanInfo {
  traceId: string | undefined;
  spanId: string | undefined;
  parentSpanId: string | undefined;
  name: string | undefined;
  kind: number;
  start: unknown;
  statusCode: number;
  statusMessage: string | undefined;
  op: string | undefined;
  toolName: string | undefined;
  toolCallId: string | undefined;
  toolType: string | undefined;
  agentId: string | undefined;
  agentName: string | undefined;
  conversationId: string | undefined;
  mcpMethod: string | undefined;
  mcpSessionId: string | undefined;
  serverAddress: string | undefined;
  urlFull: string | undefined;
  httpMethod: string | undefined;
  errorType: string | undefined;
  model: string | undefined;
  provider: string | undefined;
  transport: string | undefined;
  resource: ResourceInfo;
  /** The span as written, for a stable id when it has no trace and span id. */
  raw: Record<string, unknown>;
}

function pushDocument(record: unknown, origin: RecordOrigin): IdentityEvent[] | { reject: string; detail?: string } {
  const o = obj(record);
  if (o === undefined) return { reject: 'not-an-object' };
  const resourceSpans = Array.isArray(o.resourceSpans) ? o.resourceSpans : Array.isArray(o.scopeSpans) ? [o] : undefined;
  if (resourceSpans === undefined) return { reject: 'not-otlp' };

  const spans: SpanInfo[] = [];
  for (const rsRaw of resourceSpans) {
    const rs = obj(rsRaw);
    if (rs === undefined) continue;
    const resource = readResource(obj(rs.resource)?.attributes);
    // `instrumentationLibrarySpans` is the pre-1.0 name of `scopeSpans`, still written by old SDKs.
    const scopes = Array.isArray(rs.scopeSpans)
      ? rs.scopeSpans
      : Array.isArray(rs.instrumentationLibrarySpans)
        ? rs.instrumentationLibrarySpans
        : [];
    for (const ssRaw of scopes) {
      const list = obj(ssRaw)?.spans;
      if (!Array.isArray(list)) continue;
      for (const spRaw of list) {
        const sp = obj(spRaw);
        if (sp !== undefined) spans.push(readSpan(sp, resource));
      }
    }
  }
  if (spans.length === 0) return { reject: 'no-spans' };

  let bySpanId: Map<string, SpanInfo> | undefined;
  const events: IdentityEvent[] = [];
  let invalid: string | undefined;
  for (const s of spans) {
    const isInvoke = s.op === 'invoke_agent';
    const isTool =
      !isInvoke &&
      (s.op === 'execute_tool' || s.mcpMethod === 'tools/call') &&
      !(s.mcpMethod !== undefined && s.kind === KIND_SERVER);
    if (!isInvoke && !isTool) continue;
    const time = nanosToIso(s.start);
    if (time === undefined) {
      invalid ??= 'missing-time';
      continue;
    }
    let agentId = s.agentId;
    let agentName = s.agentName;
    let conversation = s.conversationId;
    if ((agentId === undefined && agentName === undefined) || conversation === undefined) {
      bySpanId ??= indexSpans(spans);
      let p = s.parentSpanId === undefined ? undefined : bySpanId.get(s.parentSpanId);
      // Bounded walk: a malformed export may hold a parent cycle.
      for (let depth = 0; p !== undefined && depth < 64; depth++) {
        if (agentId === undefined && agentName === undefined && (p.agentId !== undefined || p.agentName !== undefined)) {
          agentId = p.agentId;
          agentName = p.agentName;
        }
        conversation ??= p.conversationId;
        if ((agentId !== undefined || agentName !== undefined) && conversation !== undefined) break;
        p = p.parentSpanId === undefined ? undefined : bySpanId.get(p.parentSpanId);
      }
    }
    const id = agentId ?? agentName ?? s.resource.service;
    if (id === undefined) {
      invalid ??= 'missing-identity';
      continue;
    }
    events.push(toEvent(s, isTool, time, id, agentName, conversation ?? s.mcpSessionId, origin));
  }
  if (events.length === 0 && invalid !== undefined) return { reject: invalid };
  return events;
}

function toEvent(
  s: SpanInfo,
  isTool: boolean,
  time: string,
  identityId: string,
  agentName: string | undefined,
  session: string | undefined,
  origin: RecordOrigin,
): IdentityEvent {
  const identity: IdentityEvent['identity'] = { id: identityId, type: 'agent' };
  if (agentName !== undefined) identity.name = agentName;
  if (session !== undefined) identity.session = session;

  const client: IdentityEvent['client'] = {};
  if (s.resource.service !== undefined) client.workload = s.resource.service;
  if (s.resource.environment !== undefined) client.environment = s.resource.environment;
  if (s.resource.host !== undefined) client.host = s.resource.host;

  const agent: NonNullable<IdentityEvent['agent']> = {};
  const operation = s.op ?? s.mcpMethod;
  if (operation !== undefined) agent.operation = operation;
  if (s.traceId !== undefined) agent.traceId = s.traceId;
  if (s.spanId !== undefined) agent.spanId = s.spanId;
  if (s.parentSpanId !== undefined) agent.parentSpanId = s.parentSpanId;

  const tags: string[] = [];
  let action: string;
  let resource: IdentityEvent['resource'];
  if (isTool) {
    const tool = s.toolName ?? toolFromSpanName(s.name);
    action = `tool:${tool ?? 'unknown'}`;
    tags.push('tool.call');
    if (tool !== undefined) {
      agent.tool = tool;
      resource = { type: 'tool', id: tool };
      if (readsSecrets(tool)) tags.push('secret.read');
    }
    if (s.toolCallId !== undefined) agent.callId = s.toolCallId;
    const destination = s.serverAddress ?? (s.urlFull === undefined ? undefined : urlHost(s.urlFull));
    if (destination !== undefined) agent.destination = destination;
  } else {
    action = 'agent:invoke';
    tags.push('agent.invoke');
  }

  let outcome: IdentityEvent['outcome'] = 'success';
  let reason: string | undefined;
  if (s.statusCode === STATUS_ERROR || s.errorType !== undefined) {
    outcome = 'failure';
    reason = s.statusMessage ?? s.errorType;
  }

  const extra: Record<string, unknown> = {};
  if (s.name !== undefined) extra.spanName = s.name;
  if (s.mcpMethod !== undefined) extra.mcpMethod = s.mcpMethod;
  if (s.toolType !== undefined) extra.toolType = s.toolType;
  if (s.model !== undefined) extra.model = s.model;
  if (s.provider !== undefined) extra.provider = s.provider;
  if (s.transport !== undefined) extra.transport = s.transport;
  if (s.httpMethod !== undefined) extra.httpMethod = s.httpMethod;
  if (s.errorType !== undefined) extra.errorType = s.errorType;
  const raw: IdentityEvent['raw'] = { extra };
  if (origin.file !== undefined) raw.file = origin.file;
  if (origin.line !== undefined) raw.line = origin.line;

  const event: IdentityEvent = {
    // Trace and span ids are unique per span; hashing the span would cost more and say less.
    id: s.traceId !== undefined && s.spanId !== undefined ? `${s.traceId}:${s.spanId}` : stableId('agent-trace', s.raw),
    time,
    source: 'agent-trace',
    identity,
    action,
    outcome,
    client,
    tags,
    agent,
    raw,
  };
  if (resource !== undefined) event.resource = resource;
  if (reason !== undefined) event.reason = reason;
  return event;
}

/**
 * OTLP `startTimeUnixNano`: a decimal string of nanoseconds (fixed64 in proto3 JSON), 19 digits for
 * any date from 2001 to 2286; its first 13 digits are the milliseconds. Other forms go through isoTime.
 */
function nanosToIso(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length !== 19) return isoTime(v);
  for (let i = 0; i < 19; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return msToIso(Number(v.slice(0, 13)));
}

function indexSpans(spans: readonly SpanInfo[]): Map<string, SpanInfo> {
  const m = new Map<string, SpanInfo>();
  for (const s of spans) if (s.spanId !== undefined) m.set(s.spanId, s);
  return m;
}

/** An AnyValue as a string: stringValue, intValue (a string in OTLP/JSON, a number from lax writers), bool, double. */
function anyValue(v: unknown): string | undefined {
  const a = obj(v);
  if (a === undefined) return undefined;
  const s = a.stringValue;
  if (typeof s === 'string') return s.length > 0 ? s : undefined;
  const i = a.intValue;
  if (typeof i === 'string') return i.length > 0 ? i : undefined;
  if (typeof i === 'number' && Number.isFinite(i)) return String(i);
  const b = a.boolValue;
  if (typeof b === 'boolean') return b ? 'true' : 'false';
  const d = a.doubleValue;
  if (typeof d === 'number' && Number.isFinite(d)) return String(d);
  return undefined;
}

function readResource(attributes: unknown): ResourceInfo {
  const r: ResourceInfo = { service: undefined, environment: undefined, host: undefined };
  if (!Array.isArray(attributes)) return r;
  let legacyEnv: string | undefined;
  for (const kv of attributes) {
    const a = obj(kv);
    if (a === undefined) continue;
    switch (a.key) {
      case 'service.name':
        r.service = anyValue(a.value);
        break;
      case 'deployment.environment.name':
        r.environment = anyValue(a.value);
        break;
      case 'deployment.environment': // renamed to deployment.environment.name in semconv 1.27
        legacyEnv = anyValue(a.value);
        break;
      case 'host.name':
        r.host = anyValue(a.value);
        break;
    }
  }
  r.environment ??= legacyEnv;
  return r;
}

/** SpanKind / StatusCode as an integer, also from the enum names some writers use. */
function enumValue(v: unknown, names: readonly string[]): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') return names.indexOf(v);
  return 0;
}

const KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function readSpan(sp: Record<string, unknown>, resource: ResourceInfo): SpanInfo {
  const status = obj(sp.status);
  const s: SpanInfo = {
    traceId: str(sp.traceId),
    spanId: str(sp.spanId),
    parentSpanId: str(sp.parentSpanId),
    name: str(sp.name),
    kind: enumValue(sp.kind, KIND_NAMES),
    start: sp.startTimeUnixNano,
    statusCode: enumValue(status?.code, STATUS_NAMES),
    statusMessage: str(status?.message),
    op: undefined,
    toolName: undefined,
    toolCallId: undefined,
    toolType: undefined,
    agentId: undefined,
    agentName: undefined,
    conversationId: undefined,
    mcpMethod: undefined,
    mcpSessionId: undefined,
    serverAddress: undefined,
    urlFull: undefined,
    httpMethod: undefined,
    errorType: undefined,
    model: undefined,
    provider: undefined,
    transport: undefined,
    resource,
    raw: sp,
  };
  const attributes = sp.attributes;
  if (!Array.isArray(attributes)) return s;
  let system: string | undefined;
  let mcpTool: string | undefined;
  for (const kv of attributes) {
    const a = obj(kv);
    if (a === undefined) continue;
    const key = a.key;
    // Only the GenAI, MCP and network keys below matter; skip the rest (usage counters, messages…) unread.
    if (typeof key !== 'string') continue;
    switch (key) {
      case 'gen_ai.operation.name':
        s.op = anyValue(a.value);
        break;
      case 'gen_ai.tool.name':
        s.toolName = anyValue(a.value);
        break;
      case 'gen_ai.tool.call.id':
        s.toolCallId = anyValue(a.value);
        break;
      case 'gen_ai.tool.type':
        s.toolType = anyValue(a.value);
        break;
      case 'gen_ai.agent.id':
        s.agentId = anyValue(a.value);
        break;
      case 'gen_ai.agent.name':
        s.agentName = anyValue(a.value);
        break;
      case 'gen_ai.conversation.id':
        s.conversationId = anyValue(a.value);
        break;
      case 'gen_ai.request.model':
        s.model = anyValue(a.value);
        break;
      case 'gen_ai.provider.name':
        s.provider = anyValue(a.value);
        break;
      case 'gen_ai.system': // the pre-1.37 name of gen_ai.provider.name
        system = anyValue(a.value);
        break;
      case 'mcp.method.name':
        s.mcpMethod = anyValue(a.value);
        break;
      case 'mcp.session.id':
        s.mcpSessionId = anyValue(a.value);
        break;
      case 'mcp.tool.name': // not in semconv (MCP spans use gen_ai.tool.name), but some instrumentations write it
        mcpTool = anyValue(a.value);
        break;
      case 'server.address':
        s.serverAddress = anyValue(a.value);
        break;
      case 'url.full':
        s.urlFull = anyValue(a.value);
        break;
      case 'http.request.method':
        s.httpMethod = anyValue(a.value);
        break;
      case 'network.transport':
        s.transport = anyValue(a.value);
        break;
      case 'error.type':
        s.errorType = anyValue(a.value);
        break;
    }
  }
  s.provider ??= system;
  s.toolName ??= mcpTool;
  return s;
}

/** The tool from a span name when no attribute names it: `execute_tool {name}`, `tools/call {name}`. */
function toolFromSpanName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const prefix = name.startsWith('execute_tool ') ? 13 : name.startsWith('tools/call ') ? 11 : -1;
  if (prefix < 0) return undefined;
  const tool = name.slice(prefix).trim();
  return tool.length > 0 ? tool : undefined;
}

/** The host of an absolute URL, without user info or port; no URL parser, no regex. */
export function urlHost(u: string): string | undefined {
  const scheme = u.indexOf('://');
  if (scheme < 0) return undefined;
  const start = scheme + 3;
  let end = u.length;
  for (let i = start; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) {
      // '/', '?' or '#' ends the authority (RFC 3986 §3.2)
      end = i;
      break;
    }
  }
  let host = u.slice(start, end);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close > 0 ? host.slice(0, close + 1).toLowerCase() : undefined;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host.length > 0 ? host.toLowerCase() : undefined;
}

/**
 * Whether a tool's name says it reads secrets. Matched on words (split at `_ - . /`, spaces and
 * camelCase) so `target_environment` is not `get_env`. Kept short on purpose: each entry must almost
 * never name a harmless tool.
 * - single words: secret(s), vault, credential(s), password(s), passwd, keychain, keyring, getenv, apikey
 * - word pairs: api key, private key, get env, read env
 */
export function readsSecrets(tool: string): boolean {
  const words = splitWords(tool);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (SECRET_WORDS.has(w)) return true;
    const next = words[i + 1];
    if (next === undefined) continue;
    if ((w === 'api' || w === 'private') && (next === 'key' || next === 'keys')) return true;
    if ((w === 'get' || w === 'read') && (next === 'env' || next === 'environ')) return true;
  }
  return false;
}

const SECRET_WORDS = new Set([
  'secret',
  'secrets',
  'vault',
  'credential',
  'credentials',
  'creds',
  'password',
  'passwords',
  'passwd',
  'keychain',
  'keyring',
  'getenv',
  'apikey',
]);

/** Lower-case words of an identifier: separators and lower→upper camelCase boundaries split. */
function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  // Tool names are short; a pathological one is cut rather than scanned to the end.
  const n = Math.min(s.length, 256);
  let prevLower = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (!upper && !lower) {
      if (cur.length > 0) words.push(cur);
      cur = '';
      prevLower = false;
      continue;
    }
    if (upper && prevLower && cur.length > 0) {
      words.push(cur);
      cur = '';
    }
    cur += upper ? String.fromCharCode(c + 32) : s[i];
    prevLower = lower;
  }
  if (cur.length > 0) words.push(cur);
  return words;
}
