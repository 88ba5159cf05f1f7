// A scheduling strategy picks which ready step runs next. Each strategy is a small file behind
// this interface and can describe itself (for reports and replay).
import type { Prng } from '../prng.js';

/** A step that could run now; `source` names who it belongs to (an actor, an engine, a timer). */
export interface Candidate { readonly source: string }

export interface Strategy {
  readonly name: 'random' | 'pct';
  /** Index into `ready` (never empty) of the step to run; `step` counts steps taken so far. */
  pick(ready: readonly Candidate[], step: number): number;
  describe(): string;
}

export interface StrategyOptions { readonly prng: Prng; readonly depth: number; readonly expectedSteps: number }
