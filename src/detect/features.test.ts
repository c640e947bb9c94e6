import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { hourOfWeek, isPrivateIpv4, networkOf, resourceKey, userAgentFamily } from './features.js';

/** The plain definitions the fast versions must agree with. */
const reference = {
  userAgentFamily(ua: string | undefined): string | undefined {
    if (ua === undefined) return undefined;
    let s = ua.trim();
    if (s.startsWith('[')) s = s.slice(1);
    if (s.length === 0) return undefined;
    const lower = s.toLowerCase();
    if (lower.startsWith('mozilla/') || lower.startsWith('opera/')) return 'browser';
    let end = s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '/' || c === ' ' || c === ';' || c === '(' || c === ']') {
        end = i;
        break;
      }
    }
    const token = lower.slice(0, end);
    return token.length > 0 ? token.slice(0, 40) : undefined;
  },
  networkOf(ip: string): string | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
    if (!m) return 'not v4';
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a > 255 || b > 255) return undefined;
    return isPrivateIpv4(a, b) ? `${a}.${b}.0.0/16` : `${a}.${b}.${m[3]}.0/24`;
  },
  hourOfWeek(ms: number): number {
    const d = new Date(ms);
    return d.getUTCDay() * 24 + d.getUTCHours();
  },
};

test('userAgentFamily agrees with lower-casing the whole string, inside and outside ASCII', () => {
  const uas = [
    undefined,
    '',
    '   ',
    '[',
    '[aws-sdk-go-v2/1.30 os/linux]',
    'aws-cli/2.15 Python/3.11',
    'Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10',
    'Mozilla/5.0 (X11; Linux x86_64)',
    'MOZILLA/5.0',
    'Opera/9.80',
    'mozilla',
    'curl',
    'Vault Agent/1.17.2 (+https://www.vaultproject.io/; go1.22.5)',
    'İstanbul-Client/1.0',
    'Client/İ',
    'ΣΑΣ/1',
    'JGit/6.9.0.202403050737-r',
    `${'x'.repeat(60)}/1`,
    'a;b',
    '(x',
    ']y',
  ];
  for (const ua of uas) assert.equal(userAgentFamily(ua), reference.userAgentFamily(ua), String(ua));
});

test('hourOfWeek agrees with Date across the range, at day and week edges, and outside it', () => {
  const times = [
    0,
    1,
    3_599_999,
    3_600_000,
    86_399_999,
    86_400_000,
    1_749_549_663_395,
    8.64e15,
    8.64e15 + 1,
    -1,
    -86_400_001,
    Number.NaN,
  ];
  for (let ms = 1_700_000_000_000; ms < 1_700_000_000_000 + 30 * 86_400_000; ms += 1_234_567) times.push(ms);
  for (const ms of times) assert.equal(hourOfWeek(ms), reference.hourOfWeek(ms), String(ms));
});

test('a Vault path keeps its first three segments', () => {
  const key = (id: string) => resourceKey({ source: 'vault', resource: { type: 'vault-path', id } } as unknown as IdentityEvent);
  for (const id of ['secret/data/payments/db', 'secret/data/payments', 'secret/data', 'secret', '', '/a/b/c', 'a//b/c', 'a/b/c/'])
    assert.equal(key(id), `vault:${id.split('/').slice(0, 3).join('/')}`, id);
});

test('networkOf reads IPv4 as the pattern did: leading zeros, parts out of range, and near misses', () => {
  const ips = [
    '10.244.3.7',
    '198.51.100.7',
    '010.001.002.003',
    '8.8.8.008',
    '256.1.1.1',
    '1.256.1.1',
    '1.1.256.1',
    '1.2.3',
    '1.2.3.4.5',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    '1234.1.1.1',
    '1.2.3.4\n',
    ' 1.2.3.4',
    '1.2.3.4a',
    '١.٢.٣.٤',
    '',
    '.',
    '...',
    'AWS Internal',
  ];
  let seed = 3;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = '0123456789.x';
  for (let i = 0; i < 5000; i++) {
    let s = '';
    for (let k = rnd(16); k > 0; k--) s += alphabet[rnd(alphabet.length)];
    ips.push(s);
  }
  for (const ip of ips) {
    const want = reference.networkOf(ip);
    // What is not IPv4 goes on to the IPv6 reading, unchanged.
    if (want !== 'not v4') assert.equal(networkOf(ip), want, ip);
    else if (!ip.includes(':')) assert.equal(networkOf(ip), undefined, ip);
  }
});

test('an ARN resource is cut as splitting it would: service, then the first segments of what follows the fifth colon', () => {
  const plain = (id: string): string => {
    const parts = id.split(':');
    const service = parts[2] ?? '';
    const rest = parts.slice(5).join(':');
    if (service === 's3') return `s3:${rest.split('/')[0]}`;
    if (service === 'secretsmanager') {
      const name = rest.replace(/^secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '');
      const slash = name.lastIndexOf('/');
      return `secretsmanager:${slash > 0 ? name.slice(0, slash) : name}`;
    }
    if (service === 'ssm') {
      const segs = rest
        .replace(/^parameter/, '')
        .split('/')
        .filter(Boolean);
      return `ssm:/${segs.slice(0, Math.max(1, segs.length - 1)).join('/')}`;
    }
    return `${service}:${rest.split(/[/:]/).slice(0, 2).join('/')}`;
  };
  const key = (id: string) => resourceKey({ source: 'cloudtrail', resource: { type: 'x', id } } as unknown as IdentityEvent);
  const ids = [
    'arn:',
    'arn:aws',
    'arn:aws:',
    'arn:aws:s3',
    'arn:aws:s3:::bucket/key/more',
    'arn:aws:s3:::bucket',
    'arn:aws:iam::123456789012:role/service-role/ci',
    'arn:aws:lambda:eu-west-1:123456789012:function:name:alias',
    'arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf',
    'arn:aws:ssm:eu-west-1:1:parameter/prod/app/key',
    'arn:aws:logs:eu-west-1:1:log-group:/aws/x:*',
    'arn:aws:kms:eu-west-1:1:key/',
    'arn:aws:kms:eu-west-1:1:/',
    'arn:aws:kms:eu-west-1:1::',
  ];
  let seed = 5;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = 'ab:/s3';
  for (let i = 0; i < 5000; i++) {
    let tail = '';
    for (let k = rnd(20); k > 0; k--) tail += alphabet[rnd(alphabet.length)];
    ids.push(`arn:${tail}`);
  }
  for (const id of ids) assert.equal(key(id), plain(id), id);
});
