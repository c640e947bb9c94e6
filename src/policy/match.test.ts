import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cidrProblem,
  globCovers,
  globMatch,
  globProblem,
  inNetwork,
  inWindow,
  localTime,
  parseDuration,
  wildcardMatch,
  windowIntervals,
} from './match.js';

describe('globs', () => {
  test('the linear matcher agrees with an anchored RegExp of the same glob on random globs and values', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = (alphabet: string, len: number) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      const glob = pick('ab*?:/', 1 + rnd(8));
      const value = pick('ab:/', rnd(12));
      const re = new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\/:]/g, '\\$&')
          .replace(/\*+/g, '.*')
          .replace(/\?/g, '.')}$`,
        's',
      );
      const expected = re.test(value);
      if (expected) matched++;
      assert.equal(wildcardMatch(glob, value), expected, `${glob} ~ ${value}`);
    }
    assert.ok(matched > 200, `the random cases exercise matches too (${matched})`);
    // Config exceptions take `?` literally.
    assert.equal(wildcardMatch('role/a?b*', 'role/a?bc', false, false), true);
    assert.equal(wildcardMatch('role/a?b*', 'role/axbc', false, false), false);
  });

  test('a glob of many stars against a long value that almost matches ends (no backtracking blow-up)', {
    timeout: 20_000,
  }, () => {
    const glob = `arn:${'*a'.repeat(12)}*b`;
    const value = `arn:${'a'.repeat(50_000)}`;
    assert.equal(globMatch(glob, value), false);
    assert.equal(globMatch(glob, `${value}b`), true);
  });

  test('* spans any run of characters, ? one; actions fold case, resources do not', () => {
    assert.equal(globMatch('arn:aws:s3:::acme-artifacts/*', 'arn:aws:s3:::acme-artifacts/a/b.zip'), true);
    assert.equal(globMatch('arn:aws:s3:::acme-artifacts/*', 'arn:aws:s3:::acme-artifactsX/a'), false);
    assert.equal(globMatch('s3:Get*', 's3:getobject', true), true);
    assert.equal(globMatch('s3:Get*', 's3:getobject'), false);
    assert.equal(globMatch('k8s:?et', 'k8s:get'), true);
    assert.equal(globMatch('a.b', 'axb'), false, 'a dot is a dot');
  });
  test('unsupported or empty patterns are refused with a reason', () => {
    assert.match(globProblem('s3:Get[O]bject')!, /character classes/);
    assert.match(globProblem('{a,b}')!, /braces/);
    assert.match(globProblem('')!, /empty/);
    assert.equal(globProblem('ecr:*'), undefined);
  });
  test('coverage: a wider glob covers a narrower one, never the reverse', () => {
    assert.equal(globCovers('s3:*', 's3:Get*'), true);
    assert.equal(globCovers('s3:Get*', 's3:*'), false);
    assert.equal(globCovers('*', '*'), true);
    assert.equal(globCovers('s3:GetObject', '*'), false);
    assert.equal(globCovers('arn:aws:s3:::b/*', 'arn:aws:s3:::b/logs/*'), true);
    assert.equal(globCovers('arn:aws:s3:::b/logs/*', 'arn:aws:s3:::b/*'), false);
    assert.equal(globCovers('S3:GETOBJECT', 's3:GetObject', true), true);
  });
});

describe('networks', () => {
  test('IPv4 and IPv6 blocks, mapped addresses, single hosts', () => {
    assert.equal(inNetwork('203.0.113.7', '203.0.113.0/24'), true);
    assert.equal(inNetwork('203.0.114.7', '203.0.113.0/24'), false);
    assert.equal(inNetwork('::ffff:203.0.113.7', '203.0.113.0/24'), true);
    assert.equal(inNetwork('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(inNetwork('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(inNetwork('10.0.0.1', '10.0.0.1'), true);
    assert.equal(inNetwork('10.0.0.1', '0.0.0.0/0'), true);
    assert.equal(inNetwork('not-an-ip', '0.0.0.0/0'), false);
  });
  test('bad blocks are refused with the fix', () => {
    assert.match(cidrProblem('203.0.113.7/24')!, /did you mean 203\.0\.113\.0\/24/);
    assert.match(cidrProblem('10.0.0.0/33')!, /0–32/);
    assert.match(cidrProblem('300.0.0.0/8')!, /not an IPv4 or IPv6/);
    assert.equal(cidrProblem('2001:db8::/32'), undefined);
  });
});

describe('time', () => {
  test('windows are judged in their own time zone, daylight saving included', () => {
    const w = { days: ['mon' as const], from: '08:00', to: '18:00', timezone: 'Europe/Berlin' };
    // Monday 7 December 2026: Berlin is UTC+1.
    assert.equal(inWindow(Date.parse('2026-12-07T07:30:00Z'), w), true);
    assert.equal(inWindow(Date.parse('2026-12-07T06:30:00Z'), w), false);
    assert.equal(inWindow(Date.parse('2026-12-07T17:00:00Z'), w), false, '18:00 Berlin is the end, exclusive');
    // Monday 6 July 2026: Berlin is UTC+2, so 06:30 UTC is 08:30 local.
    assert.equal(inWindow(Date.parse('2026-07-06T06:30:00Z'), w), true);
    assert.deepEqual(localTime(Date.parse('2026-12-06T23:30:00Z'), 'Europe/Berlin'), { day: 'mon', minute: 30 });
  });
  test('a window to 24:00 covers the day to midnight', () => {
    assert.deepEqual(windowIntervals({ days: ['sat'], from: '00:00', to: '24:00' }), [[6 * 1440, 7 * 1440]]);
  });
  test('durations', () => {
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('90d'), 90 * 86_400);
    assert.equal(parseDuration('1hour'), undefined);
    assert.equal(parseDuration('0s'), undefined);
  });
});
