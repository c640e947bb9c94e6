/**
 * AI agents as OpenTelemetry traces in OTLP/JSON (one `ExportTraceServiceRequest` per line, as the
 * collector's file exporter writes): each run is an `invoke_agent` span with chat spans and
 * `execute_tool` spans (GenAI semantic conventions) or MCP `tools/call` client spans, following one of
 * the agent's usual tool chains. HTTP tools carry `url.full` to the agent's usual hosts; some agents
 * legitimately read a secret before calling their usual API.
 *
 * Shapes follow https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-agent-spans/ and
 * src/telemetry/parsers/agent-trace.samples.ts.
 */
import { ALNUM, type Rng } from './random.js';
import type { Activity, Actor, DayContext, IdentityProfile } from './types.js';
import { dailyCount, nanos, REGIONS, spread } from './world.js';

type Rec = Record<string, unknown>;
type AttrValue = string | number | boolean;
export type Attr = readonly [string, AttrValue];

// OTLP enums (opentelemetry-proto trace.proto).
const INTERNAL = 1;
const CLIENT = 3;
const STATUS_ERROR = 2;

function anyValue(v: AttrValue): Rec {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}
const attrs = (list: readonly Attr[]) => list.map(([key, value]) => ({ key, value: anyValue(value) }));

/** A tool step in a chain: the tool and, for HTTP tools, the host it calls. */
export interface ToolStep {
  tool: string;
  host?: string;
}

interface Archetype {
  name: string;
  service: string;
  framework: 'openai' | 'anthropic' | 'mcp';
  chains: ToolStep[][];
}

/** Agents and their habits: a few stable tool chains each. */
const ARCHETYPES: readonly Archetype[] = [
  {
    name: 'support-agent',
    service: 'support-agent',
    framework: 'openai',
    chains: [
      [{ tool: 'lookup_order' }, { tool: 'search_kb' }, { tool: 'create_ticket' }],
      [{ tool: 'lookup_customer' }, { tool: 'search_kb' }],
      [{ tool: 'lookup_order' }, { tool: 'fetch_url', host: 'status.example.com' }],
    ],
  },
  {
    name: 'ops-agent',
    service: 'ops-agent',
    framework: 'anthropic',
    chains: [
      [{ tool: 'kubectl_get_pods' }, { tool: 'get_logs' }, { tool: 'query_metrics' }],
      [{ tool: 'query_metrics' }, { tool: 'create_incident_note' }],
      // Reads the paging API key, then calls the paging API: benign secret-then-outbound to a known host.
      [{ tool: 'get_secret' }, { tool: 'http_request', host: 'events.pagerduty.example' }],
    ],
  },
  {
    name: 'code-reviewer',
    service: 'coding-agent',
    framework: 'mcp',
    chains: [
      [{ tool: 'search_code' }, { tool: 'read_file' }, { tool: 'run_tests' }],
      [{ tool: 'read_file' }, { tool: 'write_file' }, { tool: 'run_tests' }],
      [{ tool: 'search_code' }, { tool: 'read_file' }],
    ],
  },
  {
    name: 'data-analyst',
    service: 'data-agent',
    framework: 'openai',
    chains: [
      [{ tool: 'list_tables' }, { tool: 'run_sql' }],
      [{ tool: 'get_db_credentials' }, { tool: 'run_sql' }, { tool: 'http_request', host: 'bi.internal.example' }],
      [{ tool: 'run_sql' }, { tool: 'summarize_table' }],
    ],
  },
];

/** An AI agent running conversations, each a trace of tool calls. */
export class AgentActor implements Actor {
  readonly profile: IdentityProfile;
  readonly agentId: string;
  readonly agentName: string;
  readonly archetype: Archetype;
  readonly service: string;
  readonly environment: string;
  readonly host: string;
  readonly model: string;
  readonly shape: 'always' | 'business';
  readonly tz: number;
  readonly mcpHost: string;

  constructor(rng: Rng, index: number, shape: 'always' | 'business') {
    this.archetype = ARCHETYPES[index % ARCHETYPES.length]!;
    const team = rng.pick(['payments', 'platform', 'growth', 'care', 'risk', 'data', 'infra']);
    this.agentName = `${team}-${this.archetype.name}`;
    this.agentId = this.archetype.framework === 'openai' ? `asst_${rng.chars(ALNUM, 24)}` : `${this.agentName}-${rng.int(1, 99)}`;
    this.service = `${team}-${this.archetype.service}`;
    this.environment = rng.chance(0.8) ? 'production' : 'staging';
    this.host = `${this.service}-${rng.hex(4)}-${rng.int(0, 2)}`;
    this.model = this.archetype.framework === 'openai' ? 'gpt-4.1' : 'claude-sonnet-4-5';
    this.shape = shape;
    this.tz = rng.pick(REGIONS).tz;
    this.mcpHost = `mcp-${team}.internal.example`;
    this.profile = {
      id: this.agentId,
      kind: 'agent',
      source: 'agent-trace',
      name: this.agentName,
      schedule: shape,
      tzOffsetHours: this.tz,
      environment: this.environment,
    };
  }

  get chains(): ToolStep[][] {
    return this.archetype.chains;
  }

  /**
   * One run as an OTLP export document: invoke_agent, a chat span before each tool, the tool spans.
   * `failAt` marks a tool step that errors (a benign failure).
   */
  runDocument(rng: Rng, t0: number, chain: readonly ToolStep[], failAt = -1): Rec {
    const traceId = rng.hex(32);
    const provider = this.archetype.framework === 'openai' ? 'openai' : 'anthropic';
    let t = t0;
    const span = (parent: string | undefined, name: string, kind: number, list: readonly Attr[], status?: Rec) => {
      t += 5 + rng.int(0, 400);
      const start = t;
      const end = start + 20 + rng.int(0, 2500);
      const s: Rec = { traceId, spanId: rng.hex(16) };
      if (parent !== undefined) s.parentSpanId = parent;
      s.flags = 256;
      s.name = name;
      s.kind = kind;
      s.startTimeUnixNano = nanos(start, rng);
      s.endTimeUnixNano = nanos(end, rng);
      s.attributes = attrs(list);
      s.status = status ?? {};
      return s;
    };
    const invoke = span(undefined, `invoke_agent ${this.agentName}`, INTERNAL, [
      ['gen_ai.operation.name', 'invoke_agent'],
      ['gen_ai.provider.name', provider],
      ['gen_ai.agent.id', this.agentId],
      ['gen_ai.agent.name', this.agentName],
      ['gen_ai.conversation.id', this.archetype.framework === 'openai' ? `conv_${rng.chars(ALNUM, 24)}` : rng.uuid()],
      ['gen_ai.request.model', this.model],
    ]);
    const spans: Rec[] = [invoke];
    const parent = invoke.spanId as string;
    chain.forEach((step, i) => {
      spans.push(
        span(parent, `chat ${this.model}`, CLIENT, [
          ['gen_ai.operation.name', 'chat'],
          ['gen_ai.provider.name', provider],
          ['gen_ai.request.model', this.model],
          ['gen_ai.usage.input_tokens', 400 + rng.int(0, 2000)],
          ['gen_ai.usage.output_tokens', 20 + rng.int(0, 300)],
        ]),
      );
      spans.push(this.toolSpan(rng, span, parent, step, i === failAt));
    });
    return {
      resourceSpans: [
        {
          resource: {
            attributes: attrs([
              ['service.name', this.service],
              ['service.version', '1.8.3'],
              ['deployment.environment.name', this.environment],
              ['host.name', this.host],
              ['telemetry.sdk.language', 'python'],
              ['telemetry.sdk.name', 'opentelemetry'],
              ['telemetry.sdk.version', '1.27.0'],
            ]),
          },
          scopeSpans: [
            {
              scope: {
                name:
                  this.archetype.framework === 'mcp'
                    ? 'opentelemetry.instrumentation.mcp'
                    : 'opentelemetry.instrumentation.openai_agents',
                version: '0.44.0',
              },
              spans,
            },
          ],
          schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
        },
      ],
    };
  }

  private toolSpan(
    rng: Rng,
    span: (parent: string | undefined, name: string, kind: number, list: readonly Attr[], status?: Rec) => Rec,
    parent: string,
    step: ToolStep,
    fail: boolean,
  ): Rec {
    const list: Attr[] = [];
    const mcp = this.archetype.framework === 'mcp';
    if (mcp) list.push(['mcp.method.name', 'tools/call'], ['mcp.session.id', rng.hex(32)], ['network.transport', 'tcp']);
    list.push(
      ['gen_ai.operation.name', 'execute_tool'],
      ['gen_ai.tool.name', step.tool],
      ['gen_ai.tool.call.id', `call_${rng.chars(ALNUM, 24)}`],
      ['gen_ai.tool.type', 'function'],
    );
    if (step.host !== undefined)
      list.push(
        ['url.full', `https://${step.host}/v2/${rng.pick(['events', 'summary', 'query', 'enqueue'])}?ref=${rng.chars(ALNUM, 6)}`],
        ['http.request.method', 'POST'],
      );
    else if (mcp) list.push(['server.address', this.mcpHost], ['server.port', 443]);
    if (fail) list.push(['error.type', 'TimeoutError']);
    return span(
      parent,
      mcp ? `tools/call ${step.tool}` : `execute_tool ${step.tool}`,
      mcp ? CLIENT : INTERNAL,
      list,
      fail ? { code: STATUS_ERROR, message: 'TimeoutError: tool did not answer in 30s' } : undefined,
    );
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    const runs = dailyCount(ctx, rng, (this.shape === 'always' ? 11 : 10) * ctx.scale, this.shape);
    const times = spread(ctx, rng, this.tz, runs, this.shape);
    const failRun = rng.chance(0.05) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
    return times.map((t, i) => ({
      t,
      run: () => {
        // The first chain is the everyday one; the others come up less often.
        const chain = rng.weighted(this.chains.map((c, k) => [c, k === 0 ? 5 : 2] as const));
        emit('agent-trace', t, this.runDocument(rng, t, chain, i === failRun ? chain.length - 1 : -1));
      },
    }));
  }
}

/** Start times (ms) of a run document's spans: an episode spans its spans, not the document's first moment. */
export function agentSpanTimes(doc: Rec): number[] {
  const out: number[] = [];
  for (const rs of doc.resourceSpans as Rec[]) {
    for (const ss of rs.scopeSpans as Rec[])
      for (const s of ss.spans as Rec[]) out.push(Number((s.startTimeUnixNano as string).slice(0, 13)));
  }
  return out;
}

/** Event ids the parser gives a run document: `traceId:spanId` of its invoke and tool spans. */
export function agentEventIds(doc: Rec): string[] {
  const out: string[] = [];
  for (const rs of doc.resourceSpans as Rec[]) {
    for (const ss of rs.scopeSpans as Rec[]) {
      for (const s of ss.spans as Rec[]) {
        const op = (s.attributes as Array<{ key: string; value: { stringValue?: string } }>).find(
          (a) => a.key === 'gen_ai.operation.name',
        )?.value.stringValue;
        if (op === 'invoke_agent' || op === 'execute_tool') out.push(`${s.traceId}:${s.spanId}`);
      }
    }
  }
  return out;
}
