// Execution modes of run / seq / sweep. `threads` runs engines on real worker threads; the
// seeded deterministic scheduler comes with a later issue. This is the one place that turns the
// mode flags into a mode: a new mode is added here and nowhere else in the CLI.
import { InputError } from './input-error.js';

export const MODES = ['threads', 'deterministic'] as const;
export type ModeName = (typeof MODES)[number];
export const STRATEGIES = ['random', 'pct'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface ModeFlags {
  readonly mode?: ModeName;
  readonly strategy?: StrategyName;
  readonly pctDepth?: number;
}

/** The mode a run executes in; bad combinations are bad input. */
export function resolveMode(f: ModeFlags): ModeName {
  const mode = f.mode ?? 'threads';
  if (mode === 'deterministic') throw new InputError('--mode deterministic: not available in this version (only --mode threads)');
  if (f.strategy !== undefined) throw new InputError(`--strategy: only applies with --mode deterministic (the mode is ${mode})`);
  if (f.pctDepth !== undefined) throw new InputError(`--pct-depth: only applies with --mode deterministic (the mode is ${mode})`);
  return mode;
}
