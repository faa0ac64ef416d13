// The one retry layer of the ec2 provider: exponential backoff with full jitter around one cloud
// operation. The SDK's own retries are off (maxAttempts 1, see client.ts), so every retry the
// provider makes happens here and nowhere else — no layer multiplies another's attempts.

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  /** The backoff window of the first retry; it doubles with every further retry. */
  baseMs: number;
  /** The window never grows beyond this. */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, capMs: 8_000 };

/** Error codes that mean "slow down", not "wrong". */
const THROTTLING = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException',
  'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded', 'EC2ThrottledException', 'PriorRequestNotComplete', 'RequestTimeout', 'RequestTimeoutException',
  'InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable',
]);

/** Node and SDK signals for "the request may or may not have reached the cloud". */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'ENOTCONN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'AbortError']);

interface CloudError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** The EC2 error code of an SDK error ("InvalidInstanceID.NotFound"), or the error's name. */
export function errorCode(error: unknown): string {
  const e = (error ?? {}) as CloudError;
  return e.Code ?? e.name ?? e.code ?? 'Error';
}

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(errorCode(error));
}

export function isNetworkError(error: unknown): boolean {
  for (let e = error as CloudError | undefined, depth = 0; e && depth < 4; e = e.cause as CloudError | undefined, depth++) {
    if ((e.code && NETWORK_CODES.has(e.code)) || (e.name && NETWORK_NAMES.has(e.name))) return true;
    if (typeof e.message === 'string' && /socket hang up|ECONNRESET|EPIPE|other side closed|fetch failed/i.test(e.message)) return true;
  }
  return false;
}

export function isServerError(error: unknown): boolean {
  const status = (error as CloudError | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** Throttling, 5xx and network failures are worth another try; anything else is an answer. */
export function isRetryable(error: unknown): boolean {
  return isThrottling(error) || isServerError(error) || isNetworkError(error);
}

const EVENTUALLY_CONSISTENT = new Set([
  'InvalidInstanceID.NotFound', 'InvalidAllocationID.NotFound', 'InvalidAssociationID.NotFound', 'InvalidAddress.NotFound',
]);

/** EC2's "I do not know this id (yet)": eventual consistency, never proof that something is gone. */
export function isNotFound(error: unknown): boolean {
  return EVENTUALLY_CONSISTENT.has(errorCode(error));
}

/** Full jitter: a uniformly random wait in [0, min(cap, base · 2^retry)). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * window);
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  /** Which failures to try again (default: isRetryable). */
  retryable?: (error: unknown) => boolean;
  /** Stop retrying once this time (ms since the epoch) has passed. */
  deadline?: number;
  /** Told about every failure that will be retried. */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function retryPolicy(policy?: Partial<RetryPolicy>): RetryPolicy {
  return {
    attempts: Math.max(1, policy?.attempts ?? DEFAULT_RETRY.attempts),
    baseMs: Math.max(1, policy?.baseMs ?? DEFAULT_RETRY.baseMs),
    capMs: Math.max(1, policy?.capMs ?? DEFAULT_RETRY.capMs),
  };
}

/**
 * Runs `operation` until it succeeds, fails with an error that is not retryable, runs out of
 * attempts or passes the deadline. `operation` gets the attempt number (0 for the first try), so a
 * compound operation can look before it leaps on later attempts (see cloud.ts, launch).
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = retryPolicy(options.policy);
  const retryable = options.retryable ?? isRetryable;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.attempts || !retryable(error)) throw error;
      let delay = backoffDelay(attempt, policy, options.random);
      if (options.deadline !== undefined) {
        const left = options.deadline - Date.now();
        if (left <= 0) throw error;
        delay = Math.min(delay, left);
      }
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
