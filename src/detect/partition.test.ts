import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { partitionCount, partitionOf } from './partition.js';

const event = (id: string) => ({ identity: { id }, source: 'cloudtrail' }) as IdentityEvent;

test('partitions are part of the stored layout: the same keys land where they always did, ASCII or not', () => {
  // Pinned: a change here moves stored queues, snapshots and stream subjects to other partitions.
  const pinned: Array<[string, number, number]> = [
    ['arn:aws:iam::123456789012:user/ci', 4, 964],
    ['system:serviceaccount:prod:api', 1, 385],
    ['ünïcødé-agent', 12, 188],
    ['agent:🤖-planner', 14, 78],
    ['', 5, 453],
  ];
  for (const [id, of16, of1024] of pinned) {
    assert.equal(partitionOf(event(id), 16), of16, id);
    assert.equal(partitionOf(event(id), 1024), of1024, id);
  }
});

test('partitionCount reads WARDEN_PARTITIONS and refuses what is not a count', () => {
  assert.equal(partitionCount(undefined), 16);
  assert.equal(partitionCount(' '), 16);
  assert.equal(partitionCount('8'), 8);
  for (const bad of ['0', '1025', '2.5', 'four', '-3']) assert.throws(() => partitionCount(bad), RangeError, bad);
});
