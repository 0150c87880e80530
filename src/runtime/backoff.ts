// Retry delays for a failing flow: exponential with full jitter, so that many flows failing together
// (a destination went away) do not retry in lockstep, capped so that a recovered cluster is noticed soon.

export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_FLOW_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The delay before retry number `attempt` (1 for the first retry). `random` is in [0, 1) and is a
 * parameter so that tests can pin it.
 */
export function retryDelayMs(policy: BackoffPolicy, attempt: number, random: number = Math.random()): number {
  const ceilingMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  // Never below half the ceiling: full jitter alone can produce retries too close together to help.
  return Math.round(ceilingMs / 2 + (random * ceilingMs) / 2);
}

/**
 * The longest wait between attempts of a flow whose cluster does not answer (`*-unavailable`): copying resumes
 * within about this long after the cluster returns. A refused connection costs the cluster next to nothing.
 */
export const UNAVAILABLE_RETRY_MAX_MS = 1_000;

/**
 * How long a flow waits after its attempt number `failedAttempts` failed with `failure`: a failure retrying
 * cannot heal is only re-checked every `nonRetriableRecheckMs` (an operator's fix is picked up without the flow
 * spinning); a cluster that does not answer is tried again at least every UNAVAILABLE_RETRY_MAX_MS.
 */
export function flowRetryDelayMs(
  failure: { readonly reason: string; readonly retriable: boolean },
  failedAttempts: number,
  policy: BackoffPolicy,
  nonRetriableRecheckMs: number,
  random: number = Math.random(),
): number {
  if (!failure.retriable) return nonRetriableRecheckMs;
  const delayMs = retryDelayMs(policy, failedAttempts, random);
  return failure.reason.endsWith('-unavailable') ? Math.min(UNAVAILABLE_RETRY_MAX_MS, delayMs) : delayMs;
}
