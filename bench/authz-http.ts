import type { Manifest } from '../src/policy/schema.js';
import type { BenchRequest } from './authz.js';

export interface HttpResult {
  authorize: { offered: number; seconds: number; inFlight: number; perSec: number; p50Us: number; p99Us: number; errors: number };
  max: { perSec: number; p50Us: number; p99Us: number; errors: number };
  issue: { perSec: number; p50Us: number; p99Us: number; errors: number };
}

/** The HTTP half of bench:authz; filled in once the server exists. */
export async function httpBench(_manifest: Manifest, _requests: BenchRequest[]): Promise<HttpResult | undefined> {
  return undefined;
}
