import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { WardenError } from '../../model/errors.js';
import { EVENT_SOURCES, type EventSource, type IdentityEvent } from '../../model/identity-event.js';
import { emptyTelemetryStats, normalizeBatches } from '../../telemetry/normalize.js';
import { keepRawRecords } from '../../telemetry/raw-record.js';
import { readRecordBatches } from '../../telemetry/read.js';
import type { EventParser } from '../../telemetry/types.js';
import { actorOf } from '../auth.js';
import type { ServerContext } from '../context.js';

/** A gzip body may inflate to this many times the body limit, no more (a gzip bomb stops there). */
export const INFLATE_FACTOR = 4;

/** Reads a request body (gzip by header or by magic bytes) into identity events and counted rejections. */
export async function parseIngestBody(
  body: Buffer,
  options: {
    gzip: boolean;
    sourceType: EventSource | undefined;
    maxBytes: number;
    /** Parsers kept from earlier bodies (see NormalizeOptions.parsers); one body at a time per set. */
    parsers?: Map<EventSource, EventParser> | undefined;
  },
): Promise<{ events: IdentityEvent[]; records: number; rejected: number; reasons: Record<string, number> }> {
  let bytes = body;
  if (options.gzip || (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b)) {
    try {
      bytes = gunzipSync(body, { maxOutputLength: options.maxBytes * INFLATE_FACTOR });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError)
        throw new WardenError(
          'WARDEN_PAYLOAD_TOO_LARGE',
          `the gzip body inflates past ${options.maxBytes * INFLATE_FACTOR} bytes`,
        );
      throw new WardenError('WARDEN_INPUT_INVALID', `the body is not valid gzip: ${(error as Error).message}`);
    }
  }
  const stats = emptyTelemetryStats();
  const events: IdentityEvent[] = [];
  // Records and events in batches: one async step per few hundred records, not per record.
  const records = readRecordBatches(
    (async function* () {
      yield bytes;
    })(),
    'request',
    { maxDocumentBytes: options.maxBytes * INFLATE_FACTOR },
  );
  for await (const batch of normalizeBatches(records, { sourceType: options.sourceType, parsers: options.parsers }, stats))
    for (const e of batch) events.push(e);
  const rejected = Object.values(stats.rejected).reduce((a, n) => a + n, 0);
  return { events, records: stats.records, rejected, reasons: stats.rejected };
}

/**
 * POST /v1/ingest (ingest): log records as JSON lines or one JSON document (a CloudTrail `Records`
 * file), gzip accepted. 202 `{accepted, rejected, reasons, events}` once the events are durable (the
 * store committed, or JetStream acknowledged them); 503 and nothing acknowledged when they are not.
 */
export function registerIngest(app: FastifyInstance, ctx: ServerContext): void {
  // Every content type arrives as bytes: shippers send x-ndjson, json, text/plain, gzip or nothing at all.
  app.removeAllContentTypeParsers();
  // One set of parsers for every request, as a replay keeps one for all its files: a Vault token used
  // in one request is joined to the accessor its login (an earlier request) named, so a revocation by
  // accessor reaches the token. Bodies are parsed one after another, never two at once with the set.
  const parsers = ctx.parsers ?? new Map<EventSource, EventParser>();
  let parsing: Promise<unknown> = Promise.resolve();
  const parseInTurn = (body: Buffer, options: Omit<Parameters<typeof parseIngestBody>[1], 'parsers'>) => {
    const run = parsing.then(() => parseIngestBody(body, { ...options, parsers }));
    parsing = run.catch(() => undefined);
    return run;
  };
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.bodyLimit }, (_req, body, done) => done(null, body));
  app.post<{ Querystring: { source?: EventSource }; Body: Buffer | undefined }>(
    '/v1/ingest',
    {
      config: { role: 'ingest' },
      schema: {
        summary: 'ingest log records (JSON lines, a CloudTrail Records document, gzip accepted)',
        tags: ['ingest'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { source: { type: 'string', enum: [...EVENT_SOURCES], description: 'read every record as this format' } },
        },
        response: {
          202: {
            type: 'object',
            properties: {
              accepted: { type: 'integer', description: 'records taken' },
              rejected: { type: 'integer' },
              reasons: { type: 'object', additionalProperties: { type: 'integer' }, description: 'rejections by source/reason' },
              events: { type: 'integer', description: 'identity events the records gave' },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
      if (encoding !== '' && encoding !== 'gzip' && encoding !== 'identity')
        throw new WardenError('WARDEN_INPUT_INVALID', `Content-Encoding ${encoding} is not supported (gzip is)`);
      const parsed = await parseInTurn(body, {
        gzip: encoding === 'gzip',
        sourceType: request.query.source,
        maxBytes: ctx.config.bodyLimit,
      });
      // The detector on the other side of the queue or bus matches Sigma rules on raw records: the
      // records a rule matches travel with their events, the rest are let go here.
      keepRawRecords(parsed.events, ctx.sigma === undefined ? () => false : (e, record) => ctx.sigma!.matchesRecord(e, record));
      const answer = {
        accepted: parsed.records - parsed.rejected,
        rejected: parsed.rejected,
        reasons: parsed.reasons,
        events: parsed.events.length,
      };
      const counters: Record<string, number> = { 'records.accepted': answer.accepted };
      for (const [reason, n] of Object.entries(parsed.reasons)) counters[`rejected:${reason}`] = n;
      // The counters and the audit entry go with the events: embedded, in the transaction that stores
      // them (no write of the request thread's own beside the pipeline's); on the bus, once acknowledged.
      await ctx.pipeline.accept(parsed.events, {
        counters,
        audit: {
          actor: actorOf(request),
          action: 'ingest.accept',
          target: request.query.source ?? 'auto',
          detail: { ...answer, bytes: body.length },
        },
      });
      return reply.code(202).send(answer);
    },
  );
}
