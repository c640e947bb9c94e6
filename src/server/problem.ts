import { type ErrorCode, WardenError } from '../model/errors.js';

/** An RFC 9457 problem document, with Warden's error code beside the standard members. */
export interface Problem {
  /** A URI naming the problem type: `urn:warden:error:<code>` (documented in docs/errors.md). */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** The request id, to find the request in the server log. */
  instance?: string;
  /** Validation problems, each with a path into the request. */
  issues?: ReadonlyArray<{ path: string; message: string }>;
}

/** The HTTP status of each code the API answers with. */
export const STATUS_OF: Readonly<Partial<Record<ErrorCode, number>>> = {
  WARDEN_USAGE: 400,
  WARDEN_INPUT_INVALID: 400,
  WARDEN_CONFIG_INVALID: 400,
  WARDEN_UNAUTHENTICATED: 401,
  WARDEN_FORBIDDEN: 403,
  WARDEN_NOT_FOUND: 404,
  WARDEN_PAYLOAD_TOO_LARGE: 413,
  WARDEN_RATE_LIMITED: 429,
  WARDEN_INTERNAL: 500,
  WARDEN_STORE_UNAVAILABLE: 503,
  WARDEN_UNAVAILABLE: 503,
};

const TITLE: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The code for an HTTP status raised by Fastify or a plugin rather than by Warden. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'WARDEN_UNAUTHENTICATED';
  if (status === 403) return 'WARDEN_FORBIDDEN';
  if (status === 404) return 'WARDEN_NOT_FOUND';
  if (status === 413) return 'WARDEN_PAYLOAD_TOO_LARGE';
  if (status === 429) return 'WARDEN_RATE_LIMITED';
  if (status === 503) return 'WARDEN_UNAVAILABLE';
  if (status >= 400 && status < 500) return 'WARDEN_INPUT_INVALID';
  return 'WARDEN_INTERNAL';
}

/**
 * Turns any thrown value into a problem document. WardenErrors keep their code and message; Fastify's
 * own errors (body too large, bad JSON, schema validation) keep their status; anything else is a 500
 * whose detail says nothing of the fault (the log has it).
 * @example reply.code(p.status).type('application/problem+json').send(p)
 */
export function toProblem(error: unknown, requestId?: string): Problem {
  let status: number;
  let code: ErrorCode;
  let detail: string;
  let issues: Problem['issues'];
  if (error instanceof WardenError) {
    code = error.code;
    status = STATUS_OF[code] ?? 500;
    detail = error.message;
    if (error.issues.length > 0) issues = error.issues.slice(0, 50);
  } else {
    const e = error as { statusCode?: unknown; message?: unknown; validation?: unknown };
    const raw = typeof e.statusCode === 'number' ? e.statusCode : 500;
    status = raw >= 400 && raw < 600 ? raw : 500;
    code = codeOfStatus(status);
    detail = status < 500 && typeof e.message === 'string' ? e.message : 'unexpected server error; see the server log';
    if (Array.isArray(e.validation))
      issues = (e.validation as Array<{ instancePath?: string; message?: string }>).slice(0, 50).map((v) => ({
        path: v.instancePath ?? '',
        message: v.message ?? 'invalid',
      }));
  }
  return {
    type: `urn:warden:error:${code}`,
    title: TITLE[status] ?? 'Error',
    status,
    detail,
    code,
    ...(requestId ? { instance: `urn:warden:request:${requestId}` } : {}),
    ...(issues ? { issues } : {}),
  };
}
