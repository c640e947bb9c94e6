import { z } from 'zod';

/** Where an event came from: one parser each. */
export const EVENT_SOURCES = [
  'vault',
  'cloudtrail',
  'k8s-audit',
  'github-audit',
  'okta',
  'agent-trace',
  'ocsf',
  'gcp-audit',
  'gke-audit',
  'azure-activity',
  'entra-signin',
  'entra-audit',
  'aks-audit',
  'openai-audit',
] as const;
/**
 * Events Warden writes itself rather than parses: request-time decisions (`warden-authz`) and the
 * just-in-time credential broker's issuance, revocation and presentation (`warden-jit`).
 */
export const WARDEN_EVENT_SOURCES = ['warden-authz', 'warden-jit'] as const;
export const EventSourceSchema = z.enum([...EVENT_SOURCES, ...WARDEN_EVENT_SOURCES]);
export type EventSource = z.infer<typeof EventSourceSchema>;

export const IDENTITY_TYPES = [
  'service-account', // Kubernetes service account, GCP service account
  'iam-user',
  'iam-role', // an assumed role session
  'aws-service',
  'root',
  'federated', // FederatedUser, WebIdentity, SAML
  'vault-token', // a Vault token (entity or role behind it)
  'app', // OAuth / service app, GitHub App, Okta PublicClientApp
  'api-token', // a bearer API token with no richer identity (Okta SSWS, GitHub PAT)
  'agent', // an AI agent
  'user', // a person
  'unknown',
] as const;

export const CREDENTIAL_LIFECYCLE = ['issued', 'used', 'rotated', 'deactivated', 'revoked'] as const;
export type CredentialLifecycle = (typeof CREDENTIAL_LIFECYCLE)[number];

/**
 * One normalised identity event: who (identity), with what (credential), did what (action) to what
 * (resource), from where (client), with what result (outcome). Every parser produces this; the
 * detector, the correlation graph and the dashboard read only this. See docs/identity-event.schema.json.
 */
export const IdentityEventSchema = z.object({
  /** Stable id: the vendor's event id when there is one, else a hash of source and raw record. */
  id: z.string(),
  /** ISO 8601 UTC. */
  time: z.string(),
  source: EventSourceSchema,
  identity: z.object({
    /** Stable across events of the same identity: ARN, system:serviceaccount:ns:name, entity id, app id. */
    id: z.string(),
    type: z.enum(IDENTITY_TYPES),
    name: z.string().optional(),
    /** Account, project, tenant, org or namespace the identity lives in. */
    scope: z.string().optional(),
    /** Session name of an assumed role, agent session id, etc. */
    session: z.string().optional(),
    /** The identity behind this one when the log says (role assumed by, token created by). */
    via: z.string().optional(),
  }),
  credential: z
    .object({
      /**
       * The key runtime logs name the credential by, the same values `warden scan` findings carry:
       * AWS access key id, GitHub hashed_token, Vault HMAC of the token or accessor, Kubernetes JTI.
       */
      key: z.string(),
      type: z.string(),
      /** What this event did to the credential; 'used' when it merely authenticated. */
      lifecycle: z.enum(CREDENTIAL_LIFECYCLE),
      /** For issuance and revocation events: the credential issued or revoked (not the caller's). */
      subject: z.string().optional(),
      /** When the credential was issued, where the log says (Vault token_issue_time). */
      issuedAt: z.string().optional(),
      expiresAt: z.string().optional(),
      /**
       * Another name the provider gives the same credential (`key`) in its lifecycle events, where it
       * logs both on use: GitHub's `token_id` beside the `hashed_token`. A later revocation by that name
       * reaches the key in use.
       */
      alias: z.string().optional(),
      /**
       * The credential the event names (the subject of an issuance, else the key) is a long-term one of
       * the acting identity, not a session or short-lived token: a newer one issued to the same identity
       * rotates it out. Parsers set it where the log shows it: AWS access keys (AKIA…) in use, or issued
       * by a caller presenting its own long-term key; GitHub personal access and OAuth tokens and Okta API
       * tokens issued or revoked by the actor.
       */
      longTerm: z.boolean().optional(),
    })
    .optional(),
  /** Normalised `source:verb` style action: `s3:GetObject`, `vault:read`, `k8s:list`, `git.clone`. */
  action: z.string(),
  resource: z
    .object({
      type: z.string().optional(),
      id: z.string(),
    })
    .optional(),
  outcome: z.enum(['success', 'failure', 'unknown']),
  /** Why it failed (error code or message), when it did. */
  reason: z.string().optional(),
  client: z.object({
    ip: z.string().optional(),
    host: z.string().optional(),
    region: z.string().optional(),
    userAgent: z.string().optional(),
    /** Workload the caller runs as: pod, CI job, instance, agent. */
    workload: z.string().optional(),
    environment: z.string().optional(),
    location: z.string().optional(),
  }),
  /**
   * What kind of event this is for the detections: credential.issued|used|rotated|deactivated|revoked,
   * secret.read, privilege.change, auth.login, tool.call, …
   */
  tags: z.array(z.string()),
  /** Agent traces: the tool called and the trace and session it belongs to. */
  agent: z
    .object({
      tool: z.string().optional(),
      operation: z.string().optional(),
      traceId: z.string().optional(),
      spanId: z.string().optional(),
      parentSpanId: z.string().optional(),
      callId: z.string().optional(),
      destination: z.string().optional(),
    })
    .optional(),
  /** Where the raw record is: file and 1-based line (or record index), so nothing is ever out of reach. */
  raw: z.object({
    file: z.string().optional(),
    line: z.number().int().optional(),
    /** Vendor fields the normalised form has no place for, kept as they were. */
    extra: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type IdentityEvent = z.infer<typeof IdentityEventSchema>;
