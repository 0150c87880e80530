// The supervisor owns the running flows and applies plans to them. Order of side effects in apply():
//   1. stop every flow that is removed or restarted, and wait for all of them: a restarted flow's old
//      consumer must leave its group and flush to the destination before the new one begins, or the two
//      would write the same destination partitions at once;
//   2. start new and restarted flows (each starts asynchronously; a failing start is that flow's error state);
//   3. apply in-place updates (pause, resume, added partitions, a rename, a new bandwidth cap).
// One result per flow; apply() never throws because of one flow.
import type { FlowSpec } from '../plan/flow-spec.js';
import { type Plan, planHasChanges } from '../plan/plan.js';

/** A flow as the supervisor sees it; the mirror flow implements it over the Kafka port. */
export interface ManagedFlow {
  readonly spec: FlowSpec;
  /** Takes a change that needs no restart. Rejects if the flow could not take it. */
  update(spec: FlowSpec): Promise<void>;
  /** Stops consuming, flushes what was read, commits progress. Resolves when stopped; must not reject. */
  stop(): Promise<void>;
}

/** Creates and begins a flow; must return at once, reporting later failures through the flow's state. */
export type StartFlow<Flow extends ManagedFlow = ManagedFlow> = (spec: FlowSpec) => Flow;

export type FlowAction = 'start' | 'stop' | 'restart' | 'update';

export interface FlowActionResult {
  readonly key: string;
  readonly action: FlowAction;
  readonly ok: boolean;
  readonly error: string | null;
}

/** Generic over the kind of flow, so that whoever starts flows gets them back as that kind. */
export class Supervisor<Flow extends ManagedFlow = ManagedFlow> {
  readonly #startFlow: StartFlow<Flow>;
  readonly #flows = new Map<string, Flow>();
  /** Flows being stopped (removed or restarted), until stop() resolved: they flush what they read meanwhile. */
  readonly #stopping = new Set<Flow>();
  #generation = 0;

  constructor(startFlow: StartFlow<Flow>) {
    this.#startFlow = startFlow;
  }

  /** The specs of the flows that run now: what the next plan is computed against. */
  runningSpecs(): FlowSpec[] {
    return [...this.#flows.values()].map((flow) => flow.spec);
  }

  /**
   * Raised by every apply() that starts, stops, restarts or updates a flow, and by stopAll(): while it stays the
   * same, so do runningSpecs() (a flow's spec changes only through update()).
   */
  get generation(): number {
    return this.#generation;
  }

  flows(): Flow[] {
    return [...this.#flows.values()];
  }

  /**
   * The running flows and those still stopping: what /status and the metrics show. A restarted flow's old self
   * may take seconds to stop (a write in flight, a bandwidth cap's wait), and is not gone meanwhile.
   */
  flowsWithStopping(): Flow[] {
    return [...this.#flows.values(), ...this.#stopping];
  }

  async apply(plan: Plan): Promise<FlowActionResult[]> {
    if (planHasChanges(plan)) this.#generation += 1;
    const results: FlowActionResult[] = [];
    const stopping = [
      ...plan.stop.map((spec) => ({ spec, action: 'stop' as const })),
      ...plan.restart.map((change) => ({ spec: change.from, action: 'restart' as const })),
    ];
    await Promise.all(
      stopping.map(async ({ spec, action }) => {
        const flow = this.#flows.get(spec.key);
        this.#flows.delete(spec.key);
        if (flow !== undefined) await this.#stop(flow);
        if (action === 'stop') results.push(ok(spec.key, 'stop'));
      }),
    );

    const starting = [
      ...plan.start.map((spec) => ({ spec, action: 'start' as const })),
      ...plan.restart.map((change) => ({ spec: change.to, action: 'restart' as const })),
    ];
    for (const { spec, action } of starting) {
      try {
        this.#flows.set(spec.key, this.#startFlow(spec));
        results.push(ok(spec.key, action));
      } catch (error) {
        results.push(failed(spec.key, action, error));
      }
    }

    await Promise.all(
      plan.update.map(async (change) => {
        const flow = this.#flows.get(change.to.key);
        if (flow === undefined) {
          results.push(failed(change.to.key, 'update', new Error('the flow is not running')));
          return;
        }
        try {
          await flow.update(change.to);
          results.push(ok(change.to.key, 'update'));
        } catch (error) {
          results.push(failed(change.to.key, 'update', error));
        }
      }),
    );
    return results.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Stops every flow (shutdown). */
  async stopAll(): Promise<void> {
    const flows = [...this.#flows.values()];
    this.#generation += 1;
    this.#flows.clear();
    await Promise.all(flows.map((flow) => this.#stop(flow)));
  }

  async #stop(flow: Flow): Promise<void> {
    this.#stopping.add(flow);
    try {
      await flow.stop();
    } finally {
      this.#stopping.delete(flow);
    }
  }
}

function ok(key: string, action: FlowAction): FlowActionResult {
  return { key, action, ok: true, error: null };
}

function failed(key: string, action: FlowAction, error: unknown): FlowActionResult {
  return { key, action, ok: false, error: error instanceof Error ? error.message : String(error) };
}
