// Reads a running daemon's /status over its HTTP port, for `georep plan` and `georep status`.
import type { DaemonStatus } from '../runtime/daemon.js';

export const DEFAULT_DAEMON_ADDRESS = '127.0.0.1:9787';
const REQUEST_TIMEOUT_MS = 3000;

export type DaemonAnswer =
  | { readonly reachable: true; readonly status: DaemonStatus }
  | { readonly reachable: false; readonly reason: string };

export async function fetchDaemonStatus(address: string): Promise<DaemonAnswer> {
  try {
    const response = await fetch(`http://${address}/status`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) return { reachable: false, reason: `HTTP ${response.status} from ${address}/status` };
    return { reachable: true, status: (await response.json()) as DaemonStatus };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return { reachable: false, reason: `nothing answers at ${address} (${reason})` };
  }
}
