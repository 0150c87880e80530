// Turns what a flow's source and sink say of clusters that do not answer (UnreachableClusters) into the flow's
// state: a running flow is `stalled` while its origin or destination does not answer, saying which cluster and
// how (the origin first), and `running` again once both answer (docs/outages.md).
import type { FlowIdentity } from './flow-identity.js';
import type { FlowStateMachine } from './flow-state.js';
import { UnreachableClusters } from './unreachable-clusters.js';

export class FlowReachability {
  readonly #unreachable = new UnreachableClusters();
  readonly #machine: FlowStateMachine;
  readonly #identity: FlowIdentity;

  constructor(machine: FlowStateMachine, identity: FlowIdentity) {
    this.#machine = machine;
    this.#identity = identity;
  }

  originFailed(detail: string): void {
    this.#unreachable.originFailed(detail);
    this.check();
  }

  originAnswered(): void {
    this.#unreachable.originAnswered();
    this.check();
  }

  destinationFailed(partition: number, detail: string): void {
    this.#unreachable.destinationFailed(partition, detail);
    this.check();
  }

  /** Checked only when the partition's write had failed before: its acknowledgement may end a stall. */
  destinationAnswered(partition: number): void {
    if (this.#unreachable.destinationAnswered(partition)) this.check();
  }

  /** A new attempt of the flow starts with a new source: nothing is known yet. */
  clear(): void {
    this.#unreachable.clear();
  }

  /** Moves a running flow to `stalled`, or a stalled one back to `running`, as the clusters answer now. */
  check(): void {
    const state = this.#machine.state;
    if (state !== 'running' && state !== 'stalled') return;
    const blocking = this.#unreachable.blocking();
    if (blocking === null) {
      if (state === 'stalled') this.#machine.moveTo('running');
      return;
    }
    const { side, detail } = blocking;
    const { spec } = this.#identity;
    this.#machine.stall({
      reason: `${side}-unavailable`,
      retriable: true,
      message: `${side} ${side === 'origin' ? spec.origin : spec.destination} does not answer: ${detail}`,
    });
  }
}
