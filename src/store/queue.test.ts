import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { partitionOf } from '../detect/partition.js';
import { s3Read } from '../server/testing.js';
import { enqueueRows, readCounters, readQueue, trimQueue } from './partitions.js';
import { decodeQueueRow, queueRows } from './queue-rows.js';
import { openStore, type Store } from './store.js';
import { type Backend, postgresBackend, SKIP_PG, sqliteBackend } from './testing.js';

test('queue rows: one per partition, each event in its own partition and in order', () => {
  const events = Array.from({ length: 60 }, (_, i) => s3Read(`q-${i % 9}`, `run-${i}`));
  const rows = queueRows(events, 4);
  assert.deepEqual(
    rows.map((r) => r.partition),
    [...new Set(events.map((e) => partitionOf(e, 4)))].sort((a, b) => a - b),
  );
  let total = 0;
  for (const r of rows) {
    const decoded = decodeQueueRow(r.events);
    assert.equal(decoded.length, r.count);
    assert.deepEqual(
      decoded,
      events.filter((e) => partitionOf(e, 4) === r.partition),
    );
    total += r.count;
  }
  assert.equal(total, events.length);
  assert.deepEqual(queueRows([], 4), []);
});

/** The embedded queue on one dialect. */
function queueSuite(backend: Backend): void {
  describe(`ingest queue on ${backend.name}`, () => {
    before(() => backend.start());
    after(() => backend.cleanup());

    const withStore = async (fn: (store: Store) => Promise<void>) => {
      const store = await openStore(await backend.fresh());
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };
    /** One row of partition `p` holding the named events, in order. */
    const run = (store: Store, p: number, ids: string[]) =>
      enqueueRows(store, [
        {
          ...queueRows(
            ids.map((id) => s3Read('solo', id)),
            1,
          )[0]!,
          partition: p,
        },
      ]);
    const ids = (entries: Awaited<ReturnType<typeof readQueue>>) =>
      entries.flatMap((e) => e.events.map((x) => x.id.split('-')[0]));

    test('readQueue takes whole rows up to the limit in events, at least one row, and reads rows of one event written before runs', () =>
      withStore(async (store) => {
        await run(store, 2, ['a', 'b', 'c']);
        await run(store, 2, ['d', 'e']);
        await run(store, 3, ['x']);
        // A row as 0012 wrote it: one event's JSON, no run.
        await store.db
          .insertInto('ingest_queue')
          .values({ partition: 2, event: JSON.stringify(s3Read('solo', 'f')) })
          .execute();
        await run(store, 2, ['g', 'h', 'i', 'j']);
        const all = await readQueue(store, 2, 0, 100);
        assert.deepEqual(
          all.map((e) => e.events.length),
          [3, 2, 1, 4],
        );
        assert.ok(all.every((e, i) => i === 0 || e.position > all[i - 1]!.position));
        assert.deepEqual(ids(all), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
        // A limit of 4 events takes two whole rows (3 + 2), never part of one; a limit below the first row takes it whole.
        assert.deepEqual(
          (await readQueue(store, 2, 0, 4)).map((e) => e.events.length),
          [3, 2],
        );
        assert.deepEqual(
          (await readQueue(store, 2, 0, 1)).map((e) => e.events.length),
          [3],
        );
        // After a position: only later rows; the old-format row is one event.
        assert.deepEqual(ids(await readQueue(store, 2, all[1]!.position, 100)), ['f', 'g', 'h', 'i', 'j']);
        assert.deepEqual(ids(await readQueue(store, 3, 0, 100)), ['x']);
        assert.deepEqual(await readQueue(store, 5, 0, 100), []);
        // Counted by events, not rows (the old-format row was inserted by hand, uncounted).
        assert.equal((await readCounters(store)).ingested, 10);
      }));

    test('trimQueue deletes only the rows at or before each named partition position', () =>
      withStore(async (store) => {
        // Eight requests of five events: each partition gets a row per request that has events for it.
        for (let r = 0; r < 8; r++)
          await enqueueRows(
            store,
            queueRows(
              Array.from({ length: 5 }, (_, i) => s3Read(`t-${(r + i) % 5}`, 'emb')),
              4,
            ),
          );
        const all = await store.db.selectFrom('ingest_queue').select(['seq', 'partition']).orderBy('seq').execute();
        const first = all[0]!.partition;
        const p0 = all.filter((r) => r.partition === first);
        assert.ok(p0.length >= 4, 'the partition has rows on both sides of the cut');
        const cut = Number(p0[Math.floor(p0.length / 2)]!.seq);
        await trimQueue(store, new Map([[first, cut]]));
        const left = await store.db.selectFrom('ingest_queue').select(['seq', 'partition']).orderBy('seq').execute();
        assert.deepEqual(
          left.map((r) => Number(r.seq)),
          all.filter((r) => !(r.partition === first && Number(r.seq) <= cut)).map((r) => Number(r.seq)),
        );
        assert.ok(left.length < all.length && left.length > all.length - p0.length);
      }));
  });
}

queueSuite(sqliteBackend('warden-queue-'));
if (SKIP_PG) test.skip('ingest queue on postgres (WARDEN_SKIP_POSTGRES=1)', () => {});
else queueSuite(postgresBackend('warden_queue_test'));
