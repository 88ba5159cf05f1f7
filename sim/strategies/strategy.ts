// A scheduling strategy picks which ready step runs next. Each strategy is a small file behind
// this interface, named in the registry (index.ts).
import type { Prng } from '../prng.js';

/** A step that could run now; `source` names who it belongs to (an actor, an engine, a timer). */
export interface Candidate {
  readonly source: string;
}

export interface Strategy {
  /** Index into `ready` (never empty) of the step to run; `step` counts steps taken so far. */
  pick(ready: readonly Candidate[], step: number): number;
}

export interface StrategyOptions {
  readonly prng: Prng;
  readonly depth: number;
  readonly expectedSteps: number;
}
