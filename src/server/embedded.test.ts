import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listAudit } from '../store/audit.js';
import { processedTotal, readCounters } from '../store/partitions.js';
import { openStore, type Store } from '../store/store.js';
import { createEmbeddedPipeline } from './embedded.js';
import { s3Read } from './testing.js';

/** The store, with a count of the transactions begun on it. */
async function countedStore(): Promise<{ store: Store; transactions: () => number }> {
  const store = await openStore(':memory:');
  let count = 0;
  const transaction = store.transaction.bind(store);
  (store as { transaction: Store['transaction'] }).transaction = (fn) => {
    count++;
    return transaction(fn);
  };
  return { store, transactions: () => count };
}

const record = (i: number) => ({
  counters: { 'records.accepted': 2, 'rejected:cloudtrail/not-json': i },
  audit: { actor: `token:shipper-${i}`, action: 'ingest.accept', target: 'cloudtrail', detail: { i } },
});

async function queued(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('ingest_queue')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

test('requests that arrive together are stored in one transaction with their counters and audit entries', async () => {
  const { store, transactions } = await countedStore();
  const pipeline = createEmbeddedPipeline(store, {}, 4);
  try {
    await pipeline.idle();
    const before = transactions();
    await Promise.all([0, 1, 2].map((i) => pipeline.accept([s3Read(`app-${i}`, 'emb'), s3Read(`app-${i}`, 'emb')], record(i))));
    assert.equal(transactions() - before, 1, 'one transaction for the three requests');
    const counters = await readCounters(store);
    assert.equal(counters.ingested, 6);
    assert.equal(counters['records.accepted'], 6);
    assert.equal(counters['rejected:cloudtrail/not-json'], 3);
    const audit = (await listAudit(store, { action: 'ingest.accept' })).items;
    assert.deepEqual(audit.map((a) => a.actor).sort(), ['token:shipper-0', 'token:shipper-1', 'token:shipper-2']);
    // A request whose records all were rejected still counts and is audited.
    await pipeline.accept([], record(7));
    assert.equal((await readCounters(store))['rejected:cloudtrail/not-json'], 10);
    assert.equal((await listAudit(store, { action: 'ingest.accept' })).items.length, 4);
  } finally {
    await pipeline.close();
    await store.close();
  }
});

test('a group the store refuses fails every request in it and stores nothing of any', async () => {
  const store = await openStore(':memory:');
  const pipeline = createEmbeddedPipeline(store, {}, 4);
  try {
    await pipeline.idle();
    // An audit entry the store rejects (actor is NOT NULL) sinks the whole group's transaction.
    const bad = { ...record(1), audit: { ...record(1).audit, actor: null as unknown as string } };
    const results = await Promise.allSettled([
      pipeline.accept([s3Read('a', 'emb')], record(0)),
      pipeline.accept([s3Read('b', 'emb')], bad),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r.reason as { code?: string }).code, 'WARDEN_UNAVAILABLE');
    }
    assert.equal(await queued(store), 0);
    assert.equal((await readCounters(store)).ingested, undefined);
    assert.equal((await listAudit(store, { action: 'ingest.accept' })).items.length, 0);
    // The next request goes through.
    await pipeline.accept([s3Read('c', 'emb')], record(2));
    assert.equal((await readCounters(store)).ingested, 1);
  } finally {
    await pipeline.close();
    await store.close();
  }
});

test('the pipeline takes every partition through detection, trims the queue, and a restart adds nothing twice', async () => {
  const store = await openStore(':memory:');
  const events = Array.from({ length: 600 }, (_, i) => s3Read(`svc-${i % 37}`, 'emb'));
  let pipeline = createEmbeddedPipeline(store, {}, 8);
  try {
    for (let i = 0; i < events.length; i += 50) await pipeline.accept(events.slice(i, i + 50));
    await pipeline.idle();
    assert.equal(await processedTotal(store), 600);
    assert.equal(await queued(store), 0, 'every covered row deleted');
    const edges = await store.db
      .selectFrom('graph_edges')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .executeTakeFirst();
    const imported = Number(edges?.n ?? 0);
    assert.ok(imported > 0, 'the identity graph holds the events');
    await pipeline.close();

    // Started again on the same store: nothing is queued, nothing is processed or imported twice.
    pipeline = createEmbeddedPipeline(store, {}, 8);
    await pipeline.idle();
    assert.equal(await processedTotal(store), 600);
    const again = await store.db
      .selectFrom('graph_edges')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .executeTakeFirst();
    assert.equal(Number(again?.n ?? 0), imported);
  } finally {
    await pipeline.close();
    await store.close();
  }
});

test('a pause in the stream ends the gathering wait once a step of events waits; fewer events wait for it in full', async () => {
  const store = await openStore(':memory:');
  // A gathering wait far longer than the test: only the pause can start a pass before it ends.
  const pipeline = createEmbeddedPipeline(store, {}, 4, () => {}, { gatherMs: 120_000, batch: 40 });
  const processedWithin = async (ms: number, want: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if ((await processedTotal(store)) >= want) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };
  try {
    await pipeline.accept(Array.from({ length: 10 }, (_, i) => s3Read(`g-${i % 3}`, 'few')));
    assert.equal(await processedWithin(1500, 10), false, 'ten events (under a step) wait for the full gathering');
    await pipeline.accept(Array.from({ length: 40 }, (_, i) => s3Read(`g-${i % 3}`, 'step')));
    assert.equal(await processedWithin(20_000, 50), true, 'a step of events after a pause goes through detection');
  } finally {
    await pipeline.close();
    await store.close();
  }
});
