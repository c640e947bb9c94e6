import type { Detection } from '../detection.js';
import { agentToolChain } from './agent-tool-chain.js';
import { failuresThenSuccess } from './failures-then-success.js';
import { fleetChange } from './fleet-change.js';
import { longLivedIdle } from './long-lived-idle.js';
import { newSource } from './new-source.js';
import { offHours } from './off-hours.js';
import { privilegeEscalation } from './privilege-escalation.js';
import { rateSpike } from './rate-spike.js';
import { resourceMismatch } from './resource-mismatch.js';
import { reuseAfterRevocation } from './reuse-after-revocation.js';
import { rotatedStillUsed } from './rotated-still-used.js';
import { sharedCredential } from './shared-credential.js';

/** Every built-in detection, in one list; nothing registers itself on import. */
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
