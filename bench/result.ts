// The shape of bench/results.json: one section per issue-8 item, each row a subject figure, the
// baseline it is judged against (measured in the same run), their ratio and, where the issue
// sets one, the target.
import { median } from './stats.js';

export interface Target {
  /** `min`: the ratio must be at least `ratio`; `max`: at most. */
  readonly kind: 'min' | 'max';
  readonly ratio: number;
}

export interface Row {
  readonly what: string;
  readonly subject: number;
  readonly baseline: number;
  readonly unit: string;
  /**
   * subject / baseline; for rates measured in rounds, the median over rounds of the ratio within
   * each round pair (a baseline round and the subject round next to it), so that the machine's
   * load drifting between rounds cancels out.
   */
  readonly ratio: number;
  readonly target?: Target;
  readonly met?: boolean;
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** What the subject is compared against. */
  readonly baseline: string;
  readonly rows: readonly Row[];
  /** Other figures of the section (hops per call, latency settings, sizes, ...). */
  readonly figures: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

export interface BenchResults {
  readonly tool: 'ioasid-sim-bench';
  readonly version: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly durationSec: number;
  readonly machine: { readonly node: string; readonly cpus: number; readonly totalMemGiB: number };
  readonly sections: readonly Section[];
}

export function row(what: string, subject: number, baseline: number, unit: string, target?: Target, ratio = subject / baseline): Row {
  if (!target) return { what, subject, baseline, unit, ratio };
  return { what, subject, baseline, unit, ratio, target, met: target.kind === 'min' ? ratio >= target.ratio : ratio <= target.ratio };
}

/** A row from interleaved rounds: medians of each side, and the median of per-round ratios. */
export function pairedRow(what: string, subject: readonly number[], baseline: readonly number[], unit: string, target?: Target): Row {
  return row(what, median(subject), median(baseline), unit, target, median(subject.map((x, i) => x / baseline[i]!)));
}
