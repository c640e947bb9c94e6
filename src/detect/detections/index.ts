import type { Detection } from '../detection.js';
import { agentToolChain } from './agent-tool-chain/index.js';
import { failuresThenSuccess } from './failures-then-success/index.js';
import { fleetChange } from './fleet-change/index.js';
import { longLivedIdle } from './long-lived-idle/index.js';
import { newSource } from './new-source/index.js';
import { offHours } from './off-hours/index.js';
import { privilegeEscalation } from './privilege-escalation/index.js';
import { rateSpike } from './rate-spike/index.js';
import { resourceMismatch } from './resource-mismatch/index.js';
import { reuseAfterRevocation } from './reuse-after-revocation/index.js';
import { rotatedStillUsed } from './rotated-still-used/index.js';
import { sharedCredential } from './shared-credential/index.js';

/**
 * Every built-in detection, in one list; nothing registers itself on import. Each is one folder of
 * this directory: `meta.yaml` (what it is), `index.ts` (its state slices and steps), `examples/`
 * (event sequences that must fire it and look-alikes that must not; run by examples.test.ts).
 */
export const DETECTIONS: readonly Detection[] = [
  newSource,
  reuseAfterRevocation,
  rotatedStillUsed,
  privilegeEscalation,
  offHours,
  failuresThenSuccess,
  rateSpike,
  resourceMismatch,
  sharedCredential,
  agentToolChain,
  longLivedIdle,
  fleetChange,
];
