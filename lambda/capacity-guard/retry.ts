/**
 * Backoff and pagination for the guard's AWS reads. The SDK clients are built with maxAttempts 1 so
 * this is the only retry policy: one place to read, and one the tests can drive with a fake sleep.
 */

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first backoff; each further one doubles. */
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** 0..1, for the jitter. */
  readonly random?: () => number;
}

const THROTTLING_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
]);

interface SdkErrorShape {
  name?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Throttling, or what the SDK marks as transient, or a 5xx: worth another try. */
export function isRetryable(error: unknown): boolean {
  const e = error as SdkErrorShape | undefined;
  if (e === undefined || e === null) return false;
  if (e.name !== undefined && THROTTLING_ERRORS.has(e.name)) return true;
  if (e.$retryable !== undefined) return true;
  return (e.$metadata?.httpStatusCode ?? 0) >= 500;
}

export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error)) throw error;
      // Exponential backoff with jitter in [50%, 100%] of the step, so concurrent guards spread out.
      const step = options.baseDelayMs * 2 ** (attempt - 1);
      await options.sleep(step * (0.5 + random() / 2));
    }
  }
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** Every item of a paginated API, each page fetched with retry. */
export async function collectPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>, options: RetryOptions): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await withRetry(() => fetchPage(token), options);
    items.push(...page.items);
    token = page.nextToken;
  } while (token !== undefined && token !== '');
  return items;
}
