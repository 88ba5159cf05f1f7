// The JSON report users script against (docs/reports.md), built the same way for run, seq
// and sweep.
import { readFileSync } from 'node:fs';
import type { Violation } from '../invariants/catalog.js';
import type { CallOutcomes, Counts, Simulation } from '../sim/simulation.js';
import type { ModeOptions } from '../sim/mode.js';
import type { StrategyName } from '../sim/strategies/index.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface StepReport {
  readonly index: number;
  readonly op: string;
  readonly result: string;
  readonly value: unknown;
  readonly expect: string | null;
  /** The step's `expect_value`, when it has one. */
  readonly expectValue?: unknown;
  readonly met: boolean;
  /** The errno's message, when the step failed. */
  readonly message?: string;
}

export interface ReportCounts {
  dma: number;
  dmaFaults: number;
  enqcmd: number;
  gp: number;
  calls: number;
  messages: number;
  retries: number;
}

export interface RunReport {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'run' | 'seq';
  readonly scenario: string;
  readonly seed: number;
  readonly mutant: string | null;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly counts: ReportCounts;
  readonly workers: number;
  readonly mode: 'threads' | 'deterministic';
  readonly steps?: StepReport[];
  readonly violations: Violation[];
  /** Counts of every violation by invariant (the list above keeps the first few of each). */
  readonly violationCounts: Record<string, number>;
  /** How the run's calls answered, by op: `ok` or errno -> count. */
  readonly outcomes: CallOutcomes;
  /** Set when the run could not complete (a worker thread crashed). */
  readonly error?: string;
  readonly file?: string;
  readonly params?: Record<string, unknown>;
  /** Deterministic mode: the strategy (with the seed, all replay needs), steps taken, path hash. */
  readonly schedule?: { strategy: StrategyName; pctDepth: number; steps: number; pathHash: number };
}

/** One seed of a sweep. */
export interface SweepRun {
  readonly seed: number;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly counts: ReportCounts;
  readonly violationCounts: Record<string, number>;
  /** The first few violations of the seed (all of them are counted in violationCounts). */
  readonly violations: Violation[];
  readonly error?: string;
}

export interface SweepReport {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'sweep';
  readonly scenario: string;
  readonly mutant: string | null;
  readonly mode: 'threads' | 'deterministic';
  readonly seeds: { readonly from: number; readonly to: number };
  /** The part of the seed range this report covers; null when it covers all of it. */
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly ok: boolean;
  readonly durationMs: number;
  /** The scale every seed ran with (duration per seed, VMs, devices, PASIDs, workers). */
  readonly params: Record<string, unknown>;
  readonly runs: SweepRun[];
}

export function countsOf(c: Counts): ReportCounts {
  return { dma: c.dma, dmaFaults: c.dmaFaults, enqcmd: c.enqcmd, gp: c.gp, calls: c.calls, messages: c.messages, retries: c.retries };
}

/** What a deterministic run needs to be replayed, and the path it took. */
export function scheduleOf(sim: Simulation, mode: ModeOptions): { schedule?: RunReport['schedule'] } {
  if (mode.mode !== 'deterministic' || !sim.scheduler) return {};
  return { schedule: { strategy: mode.strategy, pctDepth: mode.pctDepth, steps: sim.scheduler.steps, pathHash: sim.scheduler.pathHash } };
}
