// How a run executes: real worker threads (the default, for stress), or deterministic: the
// same logic stepped by a seeded scheduler on the main thread.
import { Prng } from './prng.js';
import { STRATEGY_BY_NAME, type StrategyName } from './strategies/index.js';
import type { Strategy } from './strategies/strategy.js';

export type ModeOptions =
  | { readonly mode: 'threads' }
  | { readonly mode: 'deterministic'; readonly strategy: StrategyName; readonly pctDepth: number; readonly expectedSteps?: number };

export const THREADS: ModeOptions = { mode: 'threads' };

/** The strategy of a deterministic run, seeded from the run's seed (its own stream). */
export function makeStrategy(m: Extract<ModeOptions, { mode: 'deterministic' }>, seed: number): Strategy {
  const o = { prng: new Prng(seed ^ 0x5eed5eed), depth: m.pctDepth, expectedSteps: m.expectedSteps ?? 20000 };
  return STRATEGY_BY_NAME[m.strategy](o);
}
