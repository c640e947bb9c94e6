import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoMs } from './time.js';

test('isoMs equals Date.parse on canonical times across four centuries (leap days, month ends, year ends)', () => {
  // A deterministic walk with an odd step: every month end, leap day and century rule is crossed.
  const from = Date.UTC(1970, 0, 1);
  const to = Date.UTC(2400, 0, 1);
  let checked = 0;
  for (let t = from; t < to; t += 86_400_000 * 3 + 3_723_457) {
    const s = new Date(t).toISOString();
    assert.equal(isoMs(s), t, s);
    checked++;
  }
  for (const s of [
    '2000-02-29T23:59:59.999Z',
    '2024-02-29T00:00:00.000Z',
    '2100-02-28T12:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
  ]) {
    assert.equal(isoMs(s), Date.parse(s), s);
  }
  assert.ok(checked > 50_000);
});

test('isoMs gives Date.parse’s answer for every other form, valid or not', () => {
  for (const s of [
    '2023-02-29T00:00:00.000Z', // not a leap year
    '2100-02-29T00:00:00.000Z', // a century that is not a leap year
    '2026-04-31T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-00-10T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z', // Date.parse takes 24:00:00 as the next midnight
    '2026-01-01T23:60:00.000Z',
    '2026-01-01T23:59:60.000Z',
    '2026-01-01T10:00:00.00xZ',
    '2026-01-01T10:00:00.123+', // 24 characters, not UTC
    '1969-12-31T23:59:59.999Z', // before the epoch
    '2026-01-01T10:00:00Z',
    '2026-01-01T10:00:00.123456Z',
    '2026-01-01T10:00:00.123+02:00',
    '2026-01-01',
    'Thu, 01 Jan 2026 10:00:00 GMT',
    '',
    'not a time at all, 24 ch',
    '+02026-01-01T10:00:00.000Z',
  ]) {
    assert.deepEqual(isoMs(s), Date.parse(s), s);
  }
});
