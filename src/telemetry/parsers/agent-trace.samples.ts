import { createRandom, randomChars } from '../../model/random.js';

/**
 * Synthetic AI-agent traces in OTLP/JSON (`ExportTraceServiceRequest`, as the collector's file
 * exporter writes one per line): hex ids, enums as integers, int64 values as strings, GenAI and MCP
 * semantic-convention attributes. Made-up ids and hosts, no secrets. Cases:
 * - an agent run: invoke_agent, chat spans (no event), tool calls inheriting the agent from their
 *   parent, a secret-reading tool, an HTTP tool (`url.full`), a failing tool (status ERROR);
 * - MCP: a coding agent's client `tools/call` over Streamable HTTP and over stdio (tool only in the
 *   span name, no `gen_ai.operation.name`), `initialize`/`tools/list` (no event), the MCP server's
 *   own SERVER span in the same export (no event), legacy `deployment.environment`;
 * - a document of model calls only (no event, not a rejection);
 * - one bare `resourceSpans` element with the agent on the tool span and legacy `gen_ai.system`.
 * @example for (const doc of sampleRecords(3)) parser.push(doc, { line: 1 })
 */
export function sampleRecords(seed = 1): unknown[] {
  const g = gen(seed);

  // 1. A support agent run (OpenAI Agents-style instrumentation).
  const t1 = g.hex(32);
  const run = g.span(t1, undefined, 'invoke_agent SupportAgent', INTERNAL, [
    ['gen_ai.operation.name', 'invoke_agent'],
    ['gen_ai.provider.name', 'openai'],
    ['gen_ai.agent.id', `asst_${g.alnum(24)}`],
    ['gen_ai.agent.name', 'SupportAgent'],
    ['gen_ai.conversation.id', `conv_${g.alnum(24)}`],
    ['gen_ai.request.model', 'gpt-4.1'],
  ]);
  const chat = (parent: Span) =>
    g.span(t1, parent, 'chat gpt-4.1', CLIENT, [
      ['gen_ai.operation.name', 'chat'],
      ['gen_ai.provider.name', 'openai'],
      ['gen_ai.request.model', 'gpt-4.1'],
      ['gen_ai.response.model', 'gpt-4.1-2025-04-14'],
      ['gen_ai.response.id', `chatcmpl-${g.alnum(20)}`],
      ['gen_ai.usage.input_tokens', 812 + g.int(400)],
      ['gen_ai.usage.output_tokens', 40 + g.int(200)],
      ['gen_ai.response.finish_reasons', ['tool_calls']],
      ['server.address', 'api.openai.com'],
      ['server.port', 443],
    ]);
  const tool = (name: string, extra: Attr[] = [], status?: { code: number; message: string }) =>
    g.span(
      t1,
      run,
      `execute_tool ${name}`,
      INTERNAL,
      [
        ['gen_ai.operation.name', 'execute_tool'],
        ['gen_ai.tool.name', name],
        ['gen_ai.tool.call.id', `call_${g.alnum(24)}`],
        ['gen_ai.tool.type', 'function'],
        ...extra,
      ],
      status,
    );
  const supportDoc = {
    resourceSpans: [
      {
        resource: {
          attributes: g.attrs([
            ['service.name', 'support-agent'],
            ['service.version', '1.4.2'],
            ['deployment.environment.name', 'production'],
            ['host.name', `support-agent-${g.hex(4)}-prod-2`],
            ['telemetry.sdk.language', 'python'],
            ['telemetry.sdk.name', 'opentelemetry'],
            ['telemetry.sdk.version', '1.27.0'],
          ]),
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.openai_agents', version: '0.1.0' },
            spans: [
              run,
              chat(run),
              tool('lookup_order', [['gen_ai.tool.description', 'Find an order by its number']]),
              tool('get_secret', [['gen_ai.tool.description', 'Read a secret from the team vault']]),
              chat(run),
              tool('fetch_url', [
                ['url.full', `https://status.example.com/api/v2/summary.json?ref=${g.alnum(6)}`],
                ['http.request.method', 'GET'],
              ]),
              tool('issue_refund', [['error.type', 'PermissionError']], {
                code: STATUS_ERROR,
                message: 'PermissionError: refunds above 500 EUR need a human approval',
              }),
            ],
          },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
      },
    ],
  };

  // 2. A coding agent calling MCP servers, and the MCP server's own span in the same export.
  const t2 = g.hex(32);
  const session = g.hex(32);
  const review = g.span(t2, undefined, 'invoke_agent code-reviewer', INTERNAL, [
    ['gen_ai.operation.name', 'invoke_agent'],
    ['gen_ai.agent.name', 'code-reviewer'],
    ['gen_ai.conversation.id', g.uuid()],
    ['gen_ai.provider.name', 'anthropic'],
    ['gen_ai.request.model', 'claude-sonnet-4-5'],
  ]);
  const mcpCommon: Attr[] = [
    ['mcp.session.id', session],
    ['mcp.protocol.version', '2025-06-18'],
    ['server.address', 'mcp.example.com'],
    ['server.port', 443],
    ['network.transport', 'tcp'],
    ['network.protocol.name', 'http'],
  ];
  const callSearch = g.span(t2, review, 'tools/call search_code', CLIENT, [
    ['mcp.method.name', 'tools/call'],
    ['gen_ai.operation.name', 'execute_tool'],
    ['gen_ai.tool.name', 'search_code'],
    ['jsonrpc.request.id', String(3 + g.int(20))],
    ...mcpCommon,
  ]);
  const codingDoc = {
    resourceSpans: [
      {
        resource: {
          attributes: g.attrs([
            ['service.name', 'coding-agent'],
            ['deployment.environment', 'staging'],
            ['host.name', `ci-runner-${g.int(40)}`],
          ]),
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.mcp', version: '0.44.0' },
            spans: [
              review,
              g.span(t2, review, 'initialize', CLIENT, [
                ['mcp.method.name', 'initialize'],
                ['jsonrpc.request.id', '1'],
                ...mcpCommon,
              ]),
              g.span(t2, review, 'tools/list', CLIENT, [
                ['mcp.method.name', 'tools/list'],
                ['jsonrpc.request.id', '2'],
                ...mcpCommon,
              ]),
              callSearch,
              // stdio server, older instrumentation: the tool is only in the span name.
              g.span(t2, review, 'tools/call vault_read', CLIENT, [
                ['mcp.method.name', 'tools/call'],
                ['jsonrpc.request.id', String(30 + g.int(20))],
                ['network.transport', 'pipe'],
              ]),
            ],
          },
        ],
      },
      {
        resource: {
          attributes: g.attrs([
            ['service.name', 'code-search-mcp'],
            ['service.version', '0.9.1'],
          ]),
        },
        scopeSpans: [
          {
            scope: { name: 'mcp-server', version: '1.2.0' },
            spans: [
              g.span(t2, callSearch, 'tools/call search_code', SERVER, [
                ['mcp.method.name', 'tools/call'],
                ['gen_ai.operation.name', 'execute_tool'],
                ['gen_ai.tool.name', 'search_code'],
                ['mcp.session.id', session],
                ['client.address', '192.0.2.10'],
              ]),
            ],
          },
        ],
      },
    ],
  };

  // 3. Model calls only: embeddings and chat from a RAG service.
  const t3 = g.hex(32);
  const ragDoc = {
    resourceSpans: [
      {
        resource: {
          attributes: g.attrs([
            ['service.name', 'docs-rag'],
            ['deployment.environment.name', 'production'],
          ]),
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.openai_v2', version: '2.1b0' },
            spans: [
              g.span(t3, undefined, 'embeddings text-embedding-3-small', CLIENT, [
                ['gen_ai.operation.name', 'embeddings'],
                ['gen_ai.provider.name', 'openai'],
                ['gen_ai.request.model', 'text-embedding-3-small'],
                ['gen_ai.usage.input_tokens', 120 + g.int(50)],
              ]),
              g.span(t3, undefined, 'chat gpt-4.1-mini', CLIENT, [
                ['gen_ai.operation.name', 'chat'],
                ['gen_ai.provider.name', 'openai'],
                ['gen_ai.request.model', 'gpt-4.1-mini'],
                ['gen_ai.request.temperature', 0.2],
              ]),
            ],
          },
        ],
      },
    ],
  };

  // 4. One resourceSpans element on its own; the agent on the tool span; pre-1.37 gen_ai.system.
  const t4 = g.hex(32);
  const opsElement = {
    resource: {
      attributes: g.attrs([
        ['service.name', 'ops-agent'],
        ['deployment.environment.name', 'production'],
        ['host.name', 'ops-agent-0'],
        ['k8s.namespace.name', 'agents'],
      ]),
    },
    scopeSpans: [
      {
        scope: { name: 'langchain', version: '0.3.27' },
        spans: [
          g.span(t4, undefined, 'execute_tool get_env_var', INTERNAL, [
            ['gen_ai.operation.name', 'execute_tool'],
            ['gen_ai.system', 'anthropic'],
            ['gen_ai.agent.id', 'ops-agent-7'],
            ['gen_ai.agent.name', 'ops-agent'],
            ['gen_ai.tool.name', 'get_env_var'],
            ['gen_ai.tool.call.id', `toolu_${g.alnum(24)}`],
            ['gen_ai.tool.type', 'function'],
          ]),
          g.span(t4, undefined, 'execute_tool kubectl_get_pods', INTERNAL, [
            ['gen_ai.operation.name', 'execute_tool'],
            ['gen_ai.system', 'anthropic'],
            ['gen_ai.agent.id', 'ops-agent-7'],
            ['gen_ai.agent.name', 'ops-agent'],
            ['gen_ai.tool.name', 'kubectl_get_pods'],
            ['gen_ai.tool.call.id', `toolu_${g.alnum(24)}`],
            ['server.address', 'kubernetes.default.svc'],
          ]),
        ],
      },
    ],
  };

  return [supportDoc, codingDoc, ragDoc, opsElement];
}

// OTLP enums (opentelemetry-proto trace.proto).
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

type AttrValue = string | number | boolean | string[];
type Attr = [string, AttrValue];
interface Span {
  spanId: string;
}

/** An OTLP/JSON AnyValue: integers as `intValue` strings (proto3 JSON mapping of int64). */
function anyValue(v: AttrValue): Record<string, unknown> {
  if (Array.isArray(v)) return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function gen(seed: number) {
  const next = createRandom(seed);
  const chars = (set: string, n: number): string => randomChars(set, n, next);
  const hex = (n: number): string => chars('0123456789abcdef', n);
  const alnum = (n: number): string => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', n);
  const int = (n: number): number => Math.floor(next() * n);
  let clockMs = Date.UTC(2026, 2, 2, 9, 0, 0) + (seed % 1000) * 86_400_000 + int(3_600_000);
  /** Nanoseconds since the epoch as a decimal string: past 2^53, so never a JS number. */
  const nanos = (ms: number): string => `${ms}${String(int(1_000_000)).padStart(6, '0')}`;
  const attrs = (list: Attr[]) => list.map(([key, value]) => ({ key, value: anyValue(value) }));
  const span = (
    traceId: string,
    parent: Span | undefined,
    name: string,
    kind: number,
    list: Attr[],
    status?: { code: number; message: string },
  ) => {
    clockMs += 5 + int(400);
    const start = clockMs;
    const end = start + 20 + int(2500);
    const s: Record<string, unknown> & Span = {
      traceId,
      spanId: hex(16),
      ...(parent === undefined ? {} : { parentSpanId: parent.spanId }),
      flags: 256,
      name,
      kind,
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(end),
      attributes: attrs(list),
      status: status ?? {},
    };
    return s;
  };
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return { hex, alnum, int, attrs, span, uuid };
}
