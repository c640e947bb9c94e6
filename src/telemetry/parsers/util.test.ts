import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime, msToIso, quickIsoTime } from './util.js';

test('quickIsoTime gives what isoTime gives: epoch numbers of every unit, RFC 3339 stamps, odd and invalid input', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const inputs: unknown[] = [
    1e11,
    1e11 + 1,
    1e14,
    1e14 + 1,
    1_749_549_663_395,
    1_749_549_663_395.75,
    1_749_549_663,
    0,
    -5,
    Number.NaN,
    '1749549663395',
    '2025-06-10T10:00:15Z',
    '2025-06-10T10:00:15.1Z',
    '2025-06-10T10:00:15.123456Z',
    '2025-02-30T10:00:15Z',
    '2025-06-10T24:00:00Z',
    '2025-06-10 10:00:15Z',
    '2025-06-10T10:00:15+02:00',
    'Oct 2, 2019, 11:12:29 PM',
    '',
    null,
    undefined,
    {},
  ];
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor(rnd() * 4e12);
    const iso = new Date(ms).toISOString();
    inputs.push(ms, ms / 1000, ms * 1000, ms * 1e6, iso, iso.slice(0, 19) + 'Z');
    // Fractions of every length from one digit to nine, each padded or cut to milliseconds.
    const digits = String(Math.floor(rnd() * 1e9)).padStart(9, '0');
    inputs.push(`${iso.slice(0, 20)}${digits.slice(0, 1 + (i % 9))}Z`);
  }
  for (const v of inputs) assert.equal(quickIsoTime(v), isoTime(v), String(v));
});

test('msToIso writes what Date#toISOString writes across days, years and fractions of a millisecond', () => {
  for (const ms of [0, 1, 86_399_999, 86_400_000, 951_782_400_000, 1_749_549_663_395, 1_749_549_663_395.5, 253_402_300_799_999])
    assert.equal(msToIso(ms), new Date(ms).toISOString(), String(ms));
  // Days in any order (the cached day changes back and forth), every hour, minute, second and millisecond digit.
  for (let i = 0; i < 20_000; i++) {
    const ms = ((i * 7_919) % 20_000) * 86_400_000 + ((i * 104_729) % 86_400_000);
    assert.equal(msToIso(ms), new Date(ms).toISOString(), String(ms));
  }
});
