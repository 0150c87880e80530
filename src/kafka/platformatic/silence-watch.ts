// When a request that is still waiting is taken for a cluster that stopped answering: not from a fixed time after
// it was made, but from how long its connection has been quiet, so that requests queued behind others on a slow
// but answering link are not reported (produce-client.ts).

/**
 * `pending`, after calling `onSilence` once if it is still pending when `quiet` says the request's connection has
 * been quiet (nothing answered on it since `quietSinceMs`) for longer than `allowedMs` (asked again each time the
 * time is up: answers to other requests, or a throttle the broker announced, push it on).
 */
export async function whileSilentFor<Result>(
  pending: Promise<Result>,
  quiet: () => { readonly quietSinceMs: number; readonly allowedMs: number },
  onSilence: (silentForMs: number) => void,
): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const { quietSinceMs, allowedMs } = quiet();
    const leftMs = quietSinceMs + allowedMs - Date.now();
    if (leftMs > 0) timer = setTimeout(check, leftMs);
    else onSilence(Date.now() - quietSinceMs);
  };
  check();
  try {
    return await pending;
  } finally {
    clearTimeout(timer);
  }
}
