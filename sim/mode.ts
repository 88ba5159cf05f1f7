// How a run executes: real worker threads (the default, for stress), or deterministic: the
// same logic stepped by a seeded scheduler on the main thread.
import { Prng } from './prng.js';
import { pctStrategy } from './strategies/pct.js';
import { randomStrategy } from './strategies/random.js';
import type { Strategy } from './strategies/strategy.js';

export type ModeOptions =
  | { readonly mode: 'threads' }
  | { readonly mode: 'deterministic'; readonly strategy: 'random' | 'pct'; readonly pctDepth: number; readonly expectedSteps?: number };

export const THREADS: ModeOptions = { mode: 'threads' };
export const STRATEGIES = ['random', 'pct'] as const;

/** The strategy of a deterministic run, seeded from the run's seed (its own stream). */
export function makeStrategy(m: Extract<ModeOptions, { mode: 'deterministic' }>, seed: number): Strategy {
  const o = { prng: new Prng(seed ^ 0x5eed5eed), depth: m.pctDepth, expectedSteps: m.expectedSteps ?? 20000 };
  return m.strategy === 'pct' ? pctStrategy(o) : randomStrategy(o);
}
