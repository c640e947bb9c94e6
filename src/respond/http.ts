import { setTimeout as delay } from 'node:timers/promises';

/*
 * Every provider call goes through `withRetry`: a per-attempt time limit, retries with exponential
 * back-off (full jitter) on 429, 5xx, time-outs and dropped connections, and Retry-After honoured
 * (RFC 9110 §10.2.3: seconds or an HTTP date), capped so a hostile server cannot park a step.
 */

/** How a step's provider calls are bounded. */
export interface CallLimits {
  /** Time limit of one attempt, in milliseconds. */
  timeoutMs: number;
  /** Attempts in all (the first one included). */
  attempts: number;
  /** First back-off, doubled each retry. */
  backoffMs: number;
  /** The longest wait between attempts, Retry-After included. */
  maxWaitMs: number;
}

export const DEFAULT_LIMITS: CallLimits = { timeoutMs: 10_000, attempts: 4, backoffMs: 250, maxWaitMs: 30_000 };

/** A provider's answer that is not a success, kept for the audit trail. */
export class ProviderError extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: string;
  constructor(message: string, status: number | undefined, body = '', retryAfterMs?: number) {
    super(message);
    this.name = 'ProviderError';
    this.status = status;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), undefined when absent or bad. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Whether a failure is worth another attempt: throttling, a server fault, a time-out or a dropped connection. */
export function retryable(error: unknown): boolean {
  if (error instanceof ProviderError) return error.status !== undefined && (error.status === 429 || error.status >= 500);
  const e = error as { name?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status !== 0) return status === 429 || status >= 500;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const code = e.code ?? e.cause?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNREFUSED' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_SOCKET' ||
    e.name === 'FetchError' ||
    (error instanceof TypeError && /fetch failed|socket|terminated/i.test(error.message))
  );
}

/** Runs `attempt` until it succeeds, fails for good, or the attempts are spent; each attempt gets its own AbortSignal. */
export async function withRetry<T>(
  attempt: (signal: AbortSignal, n: number) => Promise<T>,
  limits: CallLimits,
  onRetry?: (n: number, error: unknown, waitMs: number) => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    const signal = AbortSignal.timeout(limits.timeoutMs);
    try {
      return await raceSignal(attempt(signal, n), signal);
    } catch (error) {
      if (n >= limits.attempts || !retryable(error)) throw error;
      const hinted = error instanceof ProviderError ? error.retryAfterMs : undefined;
      const backoff = Math.random() * limits.backoffMs * 2 ** (n - 1);
      const wait = Math.min(limits.maxWaitMs, hinted ?? backoff);
      onRetry?.(n, error, wait);
      await delay(wait);
    }
  }
}

/** Rejects when `signal` aborts even if `p` ignores it (some clients do not take a signal). */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new DOMException('timed out', 'TimeoutError'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** One HTTP exchange's outcome: status and parsed body (JSON when it is, else text). */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * One JSON request with fetch; a non-2xx answer throws ProviderError (with Retry-After), except the
 * statuses in `accept`, which are returned for the caller to interpret (404 of an already deleted thing).
 */
export async function requestJson(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: unknown; accept?: number[] },
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: init.method,
    headers: {
      accept: 'application/json',
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    signal,
    redirect: 'error',
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  if (res.ok || init.accept?.includes(res.status)) return { status: res.status, body };
  throw new ProviderError(
    `${init.method} ${new URL(url).pathname} answered ${res.status}${summary(body)}`,
    res.status,
    text.slice(0, 2000),
    retryAfterMs(res.headers.get('retry-after')),
  );
}

/** The provider's own words, short: Vault `errors`, GitHub/Kubernetes `message`. */
function summary(body: unknown): string {
  if (body === null || typeof body !== 'object') return typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
  const b = body as { errors?: unknown; message?: unknown };
  if (Array.isArray(b.errors) && b.errors.length > 0) return `: ${b.errors.map(String).join('; ').slice(0, 200)}`;
  if (typeof b.message === 'string') return `: ${b.message.slice(0, 200)}`;
  return '';
}
