// The lifecycle of a flow, in the vocabulary operators know from Event Streams' mirroring. A transition
// that is not listed here is a bug in georep, so it throws instead of leaving a flow in a state that
// nobody can explain.
//
//   starting ──▶ running ◀──▶ paused          any state but stopped ──▶ stopping ──▶ stopped
//      │         ▲ │  ▲ ▲       │
//      ▼         │ ▼  │ │       ▼
//    error ◀──── │ updating ◀─┘              error ──▶ running / paused (a retry that worked)
//                ▼
//             stalled ──▶ running / paused / updating / error
//
// A flow retries in the error state: it shows `error` with the latest reason until a retry runs, so that
// /status, `georep status` and georep_flows{state="error"} do not flicker to `starting` at every attempt.
// `stalled` is a running flow whose origin or destination does not answer (a request failed on the network or
// got no answer in time): it keeps trying without restarting, and is `running` again once the cluster answers.
import type { FlowError } from '../plan/flow-failure.js';

export type { FlowError };

export type FlowState =
  | 'starting'
  | 'running'
  | 'stalled'
  | 'paused'
  | 'updating'
  | 'stopping'
  | 'stopped'
  | 'error';

const ALLOWED: Record<FlowState, readonly FlowState[]> = {
  starting: ['running', 'paused', 'error', 'stopping'],
  running: ['paused', 'updating', 'error', 'stopping', 'stalled'],
  stalled: ['running', 'paused', 'updating', 'error', 'stopping'],
  paused: ['running', 'updating', 'error', 'stopping'],
  updating: ['running', 'paused', 'error', 'stopping'],
  error: ['running', 'paused', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Thrown when code asks a flow to move between two states that have no transition; always a bug. */
export class IllegalFlowTransition extends Error {
  constructor(
    readonly from: FlowState,
    readonly to: FlowState,
  ) {
    super(`a flow cannot go from ${from} to ${to}`);
    this.name = 'IllegalFlowTransition';
  }
}

export interface FlowStateSnapshot {
  readonly state: FlowState;
  readonly sinceMs: number;
  /**
   * In the error state, the error of the last failed attempt; in the stalled state, which cluster does not
   * answer and how (reason `origin-unavailable` or `destination-unavailable`); otherwise null.
   */
  readonly error: FlowError | null;
}

export class FlowStateMachine {
  #state: FlowState = 'starting';
  #sinceMs: number;
  #error: FlowError | null = null;
  readonly #nowMs: () => number;
  readonly #onChange: (from: FlowState, to: FlowState, error: FlowError | null) => void;

  constructor(
    nowMs: () => number,
    onChange: (from: FlowState, to: FlowState, error: FlowError | null) => void,
  ) {
    this.#nowMs = nowMs;
    this.#sinceMs = nowMs();
    this.#onChange = onChange;
  }

  get state(): FlowState {
    return this.#state;
  }

  snapshot(): FlowStateSnapshot {
    return { state: this.#state, sinceMs: this.#sinceMs, error: this.#error };
  }

  moveTo(next: Exclude<FlowState, 'error' | 'stalled'>): void {
    this.#transition(next, null);
  }

  /**
   * Enters the error state; in it already (a retry failed too), replaces the error, so the reason shown is
   * the latest one, and reports an `error -> error` change. `sinceMs` stays when the flow first failed.
   */
  fail(error: FlowError): void {
    this.#enterWithError('error', error);
  }

  /** Enters the stalled state (from running); in it already, replaces what it says, like fail(). */
  stall(error: FlowError): void {
    this.#enterWithError('stalled', error);
  }

  #enterWithError(state: 'error' | 'stalled', error: FlowError): void {
    if (this.#state === state) {
      this.#error = error;
      this.#onChange(state, state, error);
      return;
    }
    this.#transition(state, error);
  }

  #transition(next: FlowState, error: FlowError | null): void {
    const previous = this.#state;
    if (previous === next) return;
    if (!ALLOWED[previous].includes(next)) throw new IllegalFlowTransition(previous, next);
    this.#state = next;
    this.#sinceMs = this.#nowMs();
    this.#error = error;
    this.#onChange(previous, next, error);
  }
}
