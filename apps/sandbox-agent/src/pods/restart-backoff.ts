/** Where a back-off stands; plain data so it survives an agent restart inside the pod's record. */
export interface BackoffState {
  /** The delay the next failure will wait. */
  nextDelayMs: number;
  /** Epoch ms before which the next attempt must not start. */
  retryAt: number;
  /** The delay this attempt waits (retryAt − failure time). */
  delayMs: number;
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A container that ran this long before it stopped starts its back-off afresh. */
  resetAfterMs: number;
}

/** kubelet's numbers: 10 s doubling to 5 min, forgotten after 10 min of running. */
export const KUBELET_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/**
 * CrashLoopBackOff: the first restart is immediate, then 10 s, 20 s, 40 s … up to 5 min, like
 * kubelet's per-container back-off; a run of 10 min or more resets it.
 */
export function crashBackoff(
  prev: BackoffState | undefined,
  finishedAt: number,
  ranForMs: number,
  policy: BackoffPolicy = KUBELET_BACKOFF,
): BackoffState {
  if (!prev || ranForMs >= policy.resetAfterMs)
    return { nextDelayMs: policy.initialMs, retryAt: finishedAt, delayMs: 0 };
  return {
    nextDelayMs: Math.min(prev.nextDelayMs * 2, policy.maxMs),
    retryAt: finishedAt + prev.nextDelayMs,
    delayMs: prev.nextDelayMs,
  };
}

/** ImagePullBackOff: every failed pull waits 10 s, then 20 s … up to 5 min before the next try. */
export function pullBackoff(
  prev: BackoffState | undefined,
  failedAt: number,
  policy: BackoffPolicy = KUBELET_BACKOFF,
): BackoffState {
  const delay = prev ? Math.min(prev.nextDelayMs, policy.maxMs) : policy.initialMs;
  return { nextDelayMs: Math.min(delay * 2, policy.maxMs), retryAt: failedAt + delay, delayMs: delay };
}

export function inBackoff(state: BackoffState | undefined, now: number): boolean {
  return state !== undefined && now < state.retryAt;
}
