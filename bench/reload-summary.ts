// What bench:reload makes of a run, and the tables it prints: the times from save to effect by kind of reload,
// the steady flow's gaps without and during the reloads, which long gaps overlap a reload, and the other flows'
// state changes. Plain functions over the times and log lines the run measured; bench/reload.ts measures them.
import type { FlowLogLine } from './georep-log.js';
import { formatTable, round } from './report.js';
import { type Gap, type GapSummary, gapsBetween, gapsLongerThan, percentile } from './steady-stream.js';

/** A gap of the steady copy counts as a reload's while it overlaps the time from the save until this long after the effect. */
const AFTER_EFFECT_MS = 250;
/** Gaps longer than this are listed one by one in the result, with the reload they overlap if any. */
const LISTED_GAP_MS = 100;

/** One reload as the result lists it. */
export interface ReloadTime {
  readonly kind: string;
  readonly cycle: number;
  readonly ms: number;
}

/** What a run measured (performance.now() clock). */
export interface ReloadRun {
  readonly trials: number;
  readonly backgroundTopics: number;
  readonly steadyRecordsPerSecond: number;
  readonly allFlowsRunningAfterStartMs: number;
  readonly reloads: readonly ReloadTime[];
  /** When each reload's file was saved and its effect seen, in the order of `reloads`. */
  readonly effects: readonly { readonly savedAtMs: number; readonly effectAtMs: number }[];
  /** When the steady records arrived on the destination. */
  readonly arrivalsMs: readonly number[];
  /** The steady flow without reloads: from `baselineFromMs` until `baselineToMs`, when the reloads began. */
  readonly baselineFromMs: number;
  readonly baselineToMs: number;
  readonly reloadsToMs: number;
  readonly eventLoopMaxWithoutReloadsMs: number | null;
  readonly eventLoopMaxDuringReloadsMs: number | null;
  /** The state changes georep logged during the reloads for flows other than the trials'. */
  readonly disturbances: readonly FlowLogLine[];
}

export type ReloadSummary = ReturnType<typeof summarizeReloads>;

export function summarizeReloads(run: ReloadRun) {
  const { arrivalsMs, baselineToMs, reloads } = run;
  const baseline = gapsBetween(arrivalsMs, run.baselineFromMs, baselineToMs);
  const duringReloads = gapsBetween(arrivalsMs, baselineToMs, run.reloadsToMs);
  const reloadWindows = run.effects.map(({ savedAtMs, effectAtMs }) => ({
    fromMs: savedAtMs,
    toMs: effectAtMs + AFTER_EFFECT_MS,
  }));
  // Over the reloads' whole span, a gap is a reload's if it overlaps one's window, else the machine's.
  const reloadOf = (gap: Gap) =>
    reloadWindows.findIndex((window) => gap.fromMs <= window.toMs && gap.fromMs + gap.ms >= window.fromMs);
  const longGaps = gapsLongerThan(arrivalsMs, baselineToMs, run.reloadsToMs, LISTED_GAP_MS).map((gap) => ({
    atS: round((gap.fromMs - baselineToMs) / 1000, 1),
    ms: round(gap.ms, 1),
    reload: reloadOf(gap) === -1 ? null : reloadOf(gap) + 1,
  }));
  const largest = (gaps: readonly { ms: number }[]) =>
    gaps.reduce<number | null>((max, gap) => (max === null || gap.ms > max ? gap.ms : max), null);
  const kinds = [...new Set(reloads.map((reload) => reload.kind))];
  const byKind = kinds.map((kind) => {
    const times = reloads.filter((reload) => reload.kind === kind).map((reload) => reload.ms);
    return {
      kind,
      reloads: times.length,
      medianMs: percentile(times, 0.5),
      worstMs: percentile(times, 1),
    };
  });
  return {
    trials: run.trials,
    backgroundTopics: run.backgroundTopics,
    steadyRecordsPerSecond: run.steadyRecordsPerSecond,
    allFlowsRunningAfterStartMs: run.allFlowsRunningAfterStartMs,
    saveToEffectMs: byKind,
    steadyGapsMs: { withoutReloads: baseline, duringReloads },
    largestGapIncreaseMs:
      baseline.maxGapMs === null || duringReloads.maxGapMs === null
        ? null
        : round(duringReloads.maxGapMs - baseline.maxGapMs, 1),
    georepEventLoopBlockedMaxMs: {
      withoutReloads: run.eventLoopMaxWithoutReloadsMs,
      duringReloads: run.eventLoopMaxDuringReloadsMs,
    },
    largestGapOverlappingAReloadMs: largest(longGaps.filter((gap) => gap.reload !== null)),
    largestGapBetweenReloadsMs: largest(longGaps.filter((gap) => gap.reload === null)),
    gapsOver100Ms: longGaps,
    otherFlowsDisturbed: run.disturbances.length,
    disturbances: run.disturbances.slice(0, 20),
  };
}

/** The tables and lines a run ends with, before the machine's load and where the result was written. */
export function printReloadSummary(summary: ReloadSummary, say: (line: string) => void): void {
  const { withoutReloads, duringReloads } = summary.steadyGapsMs;
  const eventLoop = summary.georepEventLoopBlockedMaxMs;
  say('');
  say(
    formatTable(
      ['save → effect, by kind of reload', 'reloads', 'median ms', 'worst ms'],
      summary.saveToEffectMs.map((row) => [
        row.kind,
        String(row.reloads),
        String(row.medianMs),
        String(row.worstMs),
      ]),
    ),
  );
  say('');
  say(
    formatTable(
      [
        `steady flow (${summary.steadyRecordsPerSecond} records/s), gaps between arrivals`,
        'records',
        'median ms',
        'p99 ms',
        'largest ms',
      ],
      (
        [
          ['without reloads', withoutReloads],
          [`during the ${summary.trials} reloads`, duringReloads],
        ] as const
      ).map(([label, gaps]: readonly [string, GapSummary]) => [
        label,
        String(gaps.records),
        String(gaps.medianGapMs),
        String(gaps.p99GapMs),
        String(gaps.maxGapMs),
      ]),
    ),
  );
  say(
    `Largest gap over ${LISTED_GAP_MS} ms overlapping a reload (save → ${AFTER_EFFECT_MS / 1000} s after its effect): ` +
      `${summary.largestGapOverlappingAReloadMs ?? 'none'} ms; between reloads: ${summary.largestGapBetweenReloadsMs ?? 'none'} ms`,
  );
  say(
    `georep's event loop blocked at most ${eventLoop.withoutReloads} ms without reloads, ` +
      `${eventLoop.duringReloads} ms during them (nodejs_eventloop_lag_max_seconds)`,
  );
  say('');
  say(
    `Other flows (steady and ${summary.backgroundTopics} background) that changed state during the reloads: ${summary.otherFlowsDisturbed}`,
  );
}
