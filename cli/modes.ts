// Execution modes of run / seq / sweep. `threads` runs engines on real worker threads;
// `deterministic` steps everything on the main thread under a seeded scheduler (strategy
// random or pct). This is the one place that turns the mode flags into a mode.
import { type ModeOptions, THREADS } from '../sim/mode.js';
import type { StrategyName } from '../sim/strategies/index.js';
import { InputError } from '../input/input-error.js';

export const MODES = ['threads', 'deterministic'] as const;
export type ModeName = (typeof MODES)[number];

/** PCT's default bug depth: most concurrency bugs need at most 3 ordering constraints. */
export const DEFAULT_PCT_DEPTH = 3;

export interface ModeFlags {
  readonly mode?: ModeName;
  readonly strategy?: StrategyName;
  readonly pctDepth?: number;
  readonly keepGoing?: boolean;
}

/** The mode a run executes in; bad combinations are bad input. */
export function resolveMode(f: ModeFlags): ModeOptions {
  const mode = f.mode ?? 'threads';
  if (mode === 'threads') {
    if (f.strategy !== undefined) throw new InputError('--strategy: only applies with --mode deterministic (the mode is threads)');
    if (f.pctDepth !== undefined) throw new InputError('--pct-depth: only applies with --mode deterministic (the mode is threads)');
    if (f.keepGoing) throw new InputError('--keep-going: only applies with --mode deterministic (threads mode always runs its duration)');
    return THREADS;
  }
  const strategy = f.strategy ?? 'random';
  if (f.pctDepth !== undefined && strategy !== 'pct') throw new InputError(`--pct-depth: only applies with --strategy pct (the strategy is ${strategy})`);
  return { mode: 'deterministic', strategy, pctDepth: f.pctDepth ?? DEFAULT_PCT_DEPTH };
}
