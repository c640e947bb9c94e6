import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createAgentTraceParser, readsSecrets, urlHost } from './agent-trace.js';
import { sampleRecords } from './agent-trace.samples.js';
import { assertHostileValuesSurvive, HOSTILE_VALUES, pushEvents } from './testing.js';

const origin = { file: 'traces.jsonl', line: 3 };

function eventsOf(record: unknown): IdentityEvent[] {
  return pushEvents(createAgentTraceParser(), record, origin);
}

const [support, coding, rag, opsElement] = sampleRecords(1) as Array<Record<string, unknown>>;

/** A minimal OTLP/JSON document around the given spans. */
function doc(spans: unknown[], resource: Array<[string, string]> = [['service.name', 'svc']]): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: resource.map(([key, v]) => ({ key, value: { stringValue: v } })) },
        scopeSpans: [{ scope: { name: 't' }, spans }],
      },
    ],
  };
}

function span(attrs: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'execute_tool x',
    kind: 1,
    startTimeUnixNano: '1772442000123456789',
    endTimeUnixNano: '1772442000223456789',
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
    status: {},
    ...extra,
  };
}

const HOSTILE = [...HOSTILE_VALUES, '99999999999999999999999999'];

describe('agent-trace parser', () => {
  test('every sample document gives schema-valid events, the same for the same seed', () => {
    const a = sampleRecords(2).flatMap(eventsOf);
    assert.deepEqual(a, sampleRecords(2).flatMap(eventsOf));
    assert.ok(a.length >= 8);
    for (const e of a) {
      const r = IdentityEventSchema.safeParse(e);
      assert.ok(r.success, r.success ? '' : r.error.message);
      assert.equal(e.source, 'agent-trace');
      assert.equal(e.identity.type, 'agent');
      assert.equal(e.raw.line, 3);
    }
  });

  test('detect claims OTLP documents and resourceSpans elements only', () => {
    const p = createAgentTraceParser();
    for (const r of sampleRecords(1)) assert.ok(p.detect(r));
    for (const r of [
      { eventType: 'user.session.start', published: '2026-03-02T10:00:00Z', actor: {} },
      { class_uid: 6003, metadata: {} },
      { resourceLogs: [] },
      { scopeSpans: [] },
      { resourceSpans: {} },
      null,
      [],
    ]) {
      assert.equal(p.detect(r), false, JSON.stringify(r));
    }
  });

  test('an agent run: invoke_agent and tool calls, chat spans skipped, agent inherited from the parent', () => {
    const events = eventsOf(support);
    assert.deepEqual(
      events.map((e) => e.action),
      ['agent:invoke', 'tool:lookup_order', 'tool:get_secret', 'tool:fetch_url', 'tool:issue_refund'],
    );
    const [invoke, lookup, secret, fetch, refund] = events as [
      IdentityEvent,
      IdentityEvent,
      IdentityEvent,
      IdentityEvent,
      IdentityEvent,
    ];
    assert.deepEqual(invoke.tags, ['agent.invoke']);
    assert.match(invoke.identity.id, /^asst_/);
    assert.equal(invoke.identity.name, 'SupportAgent');
    assert.match(invoke.identity.session ?? '', /^conv_/);
    assert.deepEqual(invoke.client, { workload: 'support-agent', environment: 'production', host: invoke.client.host });
    for (const e of [lookup, secret, fetch, refund]) {
      assert.equal(e.identity.id, invoke.identity.id, 'tool spans inherit the agent of their invoke_agent parent');
      assert.equal(e.identity.session, invoke.identity.session);
      assert.equal(e.agent?.parentSpanId, invoke.agent?.spanId);
      assert.equal(e.agent?.traceId, invoke.agent?.traceId);
      assert.equal(e.agent?.operation, 'execute_tool');
      assert.match(e.agent?.callId ?? '', /^call_/);
      assert.equal(e.id, `${e.agent?.traceId}:${e.agent?.spanId}`);
    }
    assert.deepEqual(lookup.tags, ['tool.call']);
    assert.deepEqual(lookup.resource, { type: 'tool', id: 'lookup_order' });
    assert.equal(lookup.outcome, 'success', 'UNSET status is a call that did not fail');
    assert.deepEqual(secret.tags, ['tool.call', 'secret.read']);
    assert.equal(fetch.agent?.destination, 'status.example.com');
    assert.equal(fetch.raw.extra?.httpMethod, 'GET');
    assert.ok(!JSON.stringify(fetch).includes('?ref='), 'url.full is not copied');
    assert.equal(refund.outcome, 'failure');
    assert.match(refund.reason ?? '', /^PermissionError/);
    assert.ok(lookup.time > invoke.time);
    assert.match(lookup.time, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('MCP: client tools/call spans only, name from the span when no attribute, server side skipped', () => {
    const events = eventsOf(coding);
    assert.deepEqual(
      events.map((e) => e.action),
      ['agent:invoke', 'tool:search_code', 'tool:vault_read'],
    );
    const [invoke, search, vault] = events as [IdentityEvent, IdentityEvent, IdentityEvent];
    assert.equal(invoke.identity.id, 'code-reviewer', 'no gen_ai.agent.id: the agent name');
    assert.equal(search.identity.id, 'code-reviewer');
    assert.equal(search.agent?.destination, 'mcp.example.com');
    assert.equal(search.raw.extra?.mcpMethod, 'tools/call');
    assert.equal(search.client.environment, 'staging', 'legacy deployment.environment');
    assert.equal(vault.agent?.tool, 'vault_read');
    assert.equal(vault.agent?.operation, 'tools/call');
    assert.equal(vault.agent?.destination, undefined, 'stdio has no address');
    assert.deepEqual(vault.tags, ['tool.call', 'secret.read']);
    assert.ok(!events.some((e) => e.client.workload === 'code-search-mcp'), 'the MCP server span is not a second call');
  });

  test('MCP session id is the session when no conversation id is known', () => {
    const [e] = eventsOf(
      doc([
        span({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'list_issues', 'mcp.session.id': 'abc123' }, { kind: 3 }),
      ]),
    );
    assert.equal(e!.identity.session, 'abc123');
    assert.equal(e!.identity.id, 'svc', 'no agent attributes anywhere: the service');
  });

  test('model calls only: no event and no rejection; no spans at all: rejected', () => {
    assert.deepEqual(eventsOf(rag), []);
    const p = createAgentTraceParser();
    assert.deepEqual(p.push({ resourceSpans: [] }, origin), { reject: 'no-spans' });
    assert.deepEqual(p.push({ resourceSpans: [{ resource: {}, scopeSpans: [{ spans: [] }] }] }, origin), { reject: 'no-spans' });
    assert.deepEqual(p.push({ resourceSpans: 'x' }, origin), { reject: 'not-otlp' });
    assert.deepEqual(p.push(null, origin), { reject: 'not-an-object' });
  });

  test('a bare resourceSpans element: the agent on the tool span, gen_ai.system kept as provider', () => {
    const [env, pods] = eventsOf(opsElement) as [IdentityEvent, IdentityEvent];
    assert.equal(env.identity.id, 'ops-agent-7');
    assert.equal(env.identity.name, 'ops-agent');
    assert.deepEqual(env.tags, ['tool.call', 'secret.read']);
    assert.equal(env.raw.extra?.provider, 'anthropic');
    assert.deepEqual(pods.tags, ['tool.call']);
    assert.equal(pods.agent?.destination, 'kubernetes.default.svc');
  });

  test('enum names, numeric intValue and error.type are read too', () => {
    const [e] = eventsOf(
      doc([
        span(
          { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'deploy', 'error.type': 'timeout' },
          { kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_UNSET' } },
        ),
      ]),
    );
    assert.equal(e!.outcome, 'failure');
    assert.equal(e!.reason, 'timeout');
    const server = doc([span({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'x' }, { kind: 'SPAN_KIND_SERVER' })]);
    assert.deepEqual(eventsOf(server), []);
  });

  test('spans with no usable time or identity are rejected only when nothing else came out', () => {
    const p = createAgentTraceParser();
    const noTime = span({ 'gen_ai.operation.name': 'execute_tool' }, { startTimeUnixNano: '0' });
    assert.deepEqual(p.push(doc([noTime]), origin), { reject: 'missing-time' });
    assert.deepEqual(p.push(doc([span({ 'gen_ai.operation.name': 'execute_tool' })], []), origin), {
      reject: 'missing-identity',
    });
    const good = span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'ok' }, { spanId: '0000000000000001' });
    const out = p.push(doc([noTime, good]), origin);
    assert.ok(Array.isArray(out) && out.length === 1);
  });

  test('a parent cycle does not hang the ancestor walk; spans without ids get a stable hash id', () => {
    const a = span({ 'gen_ai.operation.name': 'execute_tool' }, { spanId: 'a', parentSpanId: 'b' });
    const b = span({ 'gen_ai.operation.name': 'chat' }, { spanId: 'b', parentSpanId: 'a' });
    assert.equal(eventsOf(doc([a, b]))[0]!.identity.id, 'svc');
    const noIds = span({ 'gen_ai.operation.name': 'execute_tool' }, { traceId: undefined, spanId: undefined });
    assert.match(eventsOf(doc([noIds]))[0]!.id, /^agent-trace:[0-9a-f]{32}$/);
  });

  test('startTimeUnixNano: exact millisecond truncation of the nanosecond string', () => {
    const p = createAgentTraceParser();
    let x = 0x2545f491;
    for (let i = 0; i < 3000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      const nanos = (1_000_000_000_000_000_000n + BigInt(x) * 2_000_000_000n + BigInt(i * 7919)).toString();
      const out = p.push(doc([span({ 'gen_ai.operation.name': 'execute_tool' }, { startTimeUnixNano: nanos })]), origin);
      assert.ok(Array.isArray(out));
      assert.equal(out[0]!.time, new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString(), nanos);
    }
    const ms = p.push(doc([span({ 'gen_ai.operation.name': 'execute_tool' }, { startTimeUnixNano: 1_772_442_000_123 })]), origin);
    assert.ok(Array.isArray(ms) && ms[0]!.time === '2026-03-02T09:00:00.123Z', 'a lax numeric time still reads');
    const bad = p.push(
      doc([span({ 'gen_ai.operation.name': 'execute_tool' }, { startTimeUnixNano: '17724420001234567x9' })]),
      origin,
    );
    assert.deepEqual(bad, { reject: 'missing-time' });
  });

  test('urlHost: host only, no user info, port or path', () => {
    assert.equal(urlHost('https://user:pw@API.Example.com:8443/v1?q=1#f'), 'api.example.com');
    assert.equal(urlHost('http://[2001:db8::1]:8080/x'), '[2001:db8::1]');
    assert.equal(urlHost('https://example.com'), 'example.com');
    assert.equal(urlHost('example.com/path'), undefined);
    assert.equal(urlHost('https:///path'), undefined);
  });

  test('readsSecrets: whole words and word pairs, not substrings', () => {
    for (const t of [
      'get_secret',
      'vault_read',
      'readCredentials',
      'reset-password',
      'get_env_var',
      'getenv',
      'read_api_key',
      'privateKey',
      'keychain.lookup',
      'aws.secrets_manager',
    ])
      assert.ok(readsSecrets(t), t);
    for (const t of [
      'target_environment',
      'budget_envelope',
      'lookup_order',
      'search_code',
      'kubectl_get_pods',
      'keyword_search',
      'count_tokens',
      'secretary_schedule',
    ])
      assert.ok(!readsSecrets(t), t);
  });

  test('hostile values at every path never throw and give valid events or reasons', () => {
    assertHostileValuesSurvive(createAgentTraceParser(), [opsElement, eventsDocSmall()], HOSTILE, origin);
  });
});

/** The MCP document cut to two spans, so damaging every path stays quick. */
function eventsDocSmall(): unknown {
  const d = structuredClone(coding) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
  const spans = d.resourceSpans[0]!.scopeSpans[0]!.spans;
  d.resourceSpans[0]!.scopeSpans[0]!.spans = [spans[0], spans[3]];
  d.resourceSpans.length = 1;
  return d;
}
