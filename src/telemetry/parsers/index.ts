import type { EventSource } from '../../model/identity-event.js';
import type { EventParserFactory } from '../types.js';
import { createAgentTraceParser } from './agent-trace.js';
import { createAksAuditParser, createAzureActivityParser, createEntraAuditParser, createEntraSignInParser } from './azure.js';
import { createCloudTrailParser } from './cloudtrail.js';
import { createGcpAuditParser, createGkeAuditParser } from './gcp-audit.js';
import { createGitHubAuditParser } from './github-audit.js';
import { createK8sAuditParser } from './k8s-audit.js';
import { createOcsfParser } from './ocsf.js';
import { createOktaParser } from './okta.js';
import { createOpenAiAuditParser } from './openai-audit.js';
import { createVaultParser } from './vault.js';

/**
 * Every built-in parser, in detection order: the most specific shapes first so a record is claimed
 * by the format it really is (OCSF and OTLP documents before vendor formats with looser checks).
 */
export const PARSERS: ReadonlyArray<readonly [EventSource, EventParserFactory]> = [
  ['ocsf', createOcsfParser],
  ['agent-trace', createAgentTraceParser],
  ['k8s-audit', createK8sAuditParser],
  ['cloudtrail', createCloudTrailParser],
  ['vault', createVaultParser],
  ['okta', createOktaParser],
  ['github-audit', createGitHubAuditParser],
  // Cloud Logging, Azure diagnostic and Entra records: distinct envelopes, checked after the above.
  ['gke-audit', createGkeAuditParser],
  ['gcp-audit', createGcpAuditParser],
  ['aks-audit', createAksAuditParser],
  ['entra-signin', createEntraSignInParser],
  ['entra-audit', createEntraAuditParser],
  ['azure-activity', createAzureActivityParser],
  ['openai-audit', createOpenAiAuditParser],
];
