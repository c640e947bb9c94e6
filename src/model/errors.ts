/** Stable error codes; every code is documented in docs/errors.md (a test keeps the two in step). */
export const ERROR_CODES = [
  'WARDEN_CONFIG_INVALID',
  'WARDEN_RULES_INVALID',
  'WARDEN_FRAMEWORK_REF_UNKNOWN',
  'WARDEN_SOURCE_UNREADABLE',
  'WARDEN_GIT_FAILED',
  'WARDEN_BASELINE_INVALID',
  'WARDEN_USAGE',
  'WARDEN_STORE_UNAVAILABLE',
  'WARDEN_INPUT_INVALID',
  'WARDEN_NOT_FOUND',
  'WARDEN_KEY_UNAVAILABLE',
  'WARDEN_PLAYBOOK_INVALID',
  'WARDEN_APPROVAL_REQUIRED',
  'WARDEN_POLICY_INVALID',
  'WARDEN_UNAUTHENTICATED',
  'WARDEN_FORBIDDEN',
  'WARDEN_RATE_LIMITED',
  'WARDEN_PAYLOAD_TOO_LARGE',
  'WARDEN_UNAVAILABLE',
  'WARDEN_INTERNAL',
  'WARDEN_OUTPUT_UNWRITABLE',
  'WARDEN_STORE_MISSING',
  'WARDEN_IMPORT_CONFLICT',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem found while validating input; `path` points into the offending document. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * The one fault type Warden throws. Expected outcomes (findings, rejected records) are values, not errors.
 * @example throw new WardenError('WARDEN_CONFIG_INVALID', 'warden.config.yaml is invalid', issues)
 */
export class WardenError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];
  constructor(code: ErrorCode, message: string, issues: readonly Issue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WardenError';
    this.code = code;
    this.issues = issues;
  }
}

/** An error as plain data, to cross a thread (a structured clone keeps no class). */
export interface ErrorData {
  code: string | undefined;
  message: string;
  issues: readonly Issue[] | undefined;
}

/** What crosses a thread of a thrown value: a WardenError's code and issues, any error's message. */
export function toErrorData(error: unknown): ErrorData {
  const e = error as { code?: unknown; message?: unknown; issues?: unknown } | null | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: String(e?.message ?? error),
    issues: Array.isArray(e?.issues) ? (e.issues as Issue[]) : undefined,
  };
}

/** The error `toErrorData` described, on this side of the thread: a WardenError again when it was one. */
export function fromErrorData(d: ErrorData): Error {
  return d.code?.startsWith('WARDEN_') ? new WardenError(d.code as ErrorCode, d.message, d.issues ?? []) : new Error(d.message);
}

/** A success or a list of problems, as secretlint's validators return. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };
