import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inAnyWindow } from '../match.js';
import type { Day } from '../schema.js';
import { compileWindows, inCompiledWindows } from './windows.js';

test('the cached window check agrees with the manifest over a year in several zones, DST included', () => {
  const days: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC', 'America/St_Johns'];
  const windows = zones.map((timezone) => ({ days, from: '01:30', to: '03:15', timezone }));
  const start = Date.parse('2026-01-01T00:00:00Z');
  let disagree = 0;
  let inside = 0;
  for (const w of windows) {
    const compiled = compileWindows([w]);
    // Every 7 minutes for a year: both sides of every DST change, at odd minutes.
    for (let t = start; t < start + 366 * 86_400_000; t += 7 * 60_000) {
      const want = inAnyWindow(t, [w]);
      if (want) inside++;
      if (inCompiledWindows(t, compiled) !== want) disagree++;
    }
  }
  assert.equal(disagree, 0);
  assert.ok(inside > 1000);
});
