/** The bench:authz fixture: a manifest of generated identities and a deterministic request mix. */

import { ACTION_ID, ACTION_TYPE, PRINCIPAL_TYPE, RESOURCE_TYPE } from '../../src/policy/authz/compile.js';
import { inAnyWindow, parseManifest } from '../../src/policy/index.js';
import type { Manifest, ManifestIdentity } from '../../src/policy/schema.js';

/** The manifest text: the contract's identity and `count` generated ones. */
export function benchManifestText(count: number): string {
  const parts = [
    'version: 1',
    'identities:',
    '  ci-deployer:',
    '    owner: platform-team',
    '    match: ["arn:aws:iam::123456789012:user/ci-deployer", "repo:acme/api:environment:prod"]',
    '    environments: [prod]',
    '    allow:',
    '      - actions: ["s3:GetObject", "s3:PutObject"]',
    '        resources: ["arn:aws:s3:::acme-artifacts/*"]',
    '      - actions: ["ecr:*"]',
    '        resources: ["*"]',
    '    sources:',
    '      networks: ["203.0.113.0/24"]',
    '      regions: [eu-west-1]',
    '    windows:',
    '      - days: [mon, tue, wed, thu, fri]',
    '        from: "08:00"',
    '        to: "18:00"',
    '        timezone: Europe/Berlin',
    '    credentials:',
    '      maxLifetime: 1h',
  ];
  for (let i = 0; i < count; i++) {
    parts.push(
      `  svc-${i}:`,
      '    owner: team-' + (i % 17),
      `    match: ["arn:aws:iam::123456789012:role/svc-${i}", "system:serviceaccount:ns${i % 23}:svc-${i}"]`,
      '    environments: [prod, staging]',
      '    allow:',
      `      - actions: ["s3:Get*", "s3:List*"]`,
      `        resources: ["arn:aws:s3:::data-${i}/*", "arn:aws:s3:::shared/*"]`,
      `      - actions: ["vault:read"]`,
      `        resources: ["secret/svc-${i}/*"]`,
      `      - actions: ["sqs:SendMessage", "sqs:ReceiveMessage"]`,
      `        resources: ["arn:aws:sqs:eu-west-1:123456789012:q-${i}"]`,
      '    sources:',
      `      networks: ["10.${i % 250}.0.0/16", "203.0.113.0/24"]`,
      '      regions: [eu-west-1, eu-central-1]',
      '    windows:',
      '      - days: [mon, tue, wed, thu, fri]',
      '        from: "06:00"',
      '        to: "22:00"',
      '        timezone: Europe/Berlin',
    );
  }
  return `${parts.join('\n')}\n`;
}

export function benchManifest(count: number): Manifest {
  const r = parseManifest(benchManifestText(count), 'bench.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 3)));
  return r.value;
}

export interface BenchRequest {
  principal: string;
  action: string;
  resource: string;
  context: { time: string; sourceIp: string; environment: string; region: string };
}

/** A deterministic mix: about two thirds allowed, the rest denied for each reason in turn. */
export function benchRequests(count: number, identities: number): BenchRequest[] {
  const out: BenchRequest[] = [];
  for (let k = 0; k < count; k++) {
    const i = (k * 7919) % identities;
    const base: BenchRequest = {
      principal: k % 3 === 0 ? `arn:aws:iam::123456789012:role/svc-${i}` : `svc-${i}`,
      action: 's3:GetObject',
      resource: `arn:aws:s3:::data-${i}/obj-${k}`,
      context: { time: '2026-12-07T09:30:00Z', sourceIp: `10.${i % 250}.3.7`, environment: 'prod', region: 'eu-west-1' },
    };
    switch (k % 9) {
      case 6:
        out.push({ ...base, action: 'iam:CreateAccessKey' });
        break;
      case 7:
        out.push({ ...base, context: { ...base.context, sourceIp: '198.51.100.9' } });
        break;
      case 8:
        out.push({ ...base, context: { ...base.context, time: '2026-12-07T23:30:00Z' } });
        break;
      default:
        out.push(k % 2 === 0 ? base : { ...base, action: 'vault:read', resource: `secret/svc-${i}/db` });
    }
  }
  return out;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The raw Cedar request for a bench request, built as the reference implementations (the in-process
 * loop and the bare HTTP server) call Cedar directly: the same context Warden's authorizer builds, the
 * identity's policy set prepared under `prefix/NAME`.
 */
export function rawCedarRequest(r: BenchRequest, id: ManifestIdentity, prefix: string) {
  return {
    principal: { type: PRINCIPAL_TYPE, id: id.name },
    action: { type: ACTION_TYPE, id: ACTION_ID },
    resource: { type: RESOURCE_TYPE, id: r.resource },
    context: {
      action: r.action.toLowerCase(),
      resource: r.resource,
      environment: r.context.environment,
      sourceIp: { __extn: { fn: 'ip', arg: r.context.sourceIp } },
      region: r.context.region,
      inWindow: inAnyWindow(Date.parse(r.context.time), id.windows ?? []),
    },
    preparsedPolicySetId: `${prefix}/${id.name}`,
    validateRequest: false,
    entities: [],
  };
}
