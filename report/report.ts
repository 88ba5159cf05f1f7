// The JSON report users script against (docs/reports.md), built the same way for run, seq
// and sweep.
import { readFileSync } from 'node:fs';
import type { Coverage, CoverageKey } from '../hardware/coverage.js';
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
  /** Why the step proved nothing (a `stop` whose job landed less than its `min_landed`), when it did not. */
  readonly inconclusive?: string;
}

/**
 * A run's verdict. `failed`: a violation, an unmet expectation, or a run that could not complete;
 * `inconclusive`: none of those, but what it exists to race did not happen; `clean`: it raced and
 * held. Reports' `ok` is true only when clean: it never claims more than was checked.
 */
export const VERDICTS = ['clean', 'inconclusive', 'failed'] as const;
export type Verdict = (typeof VERDICTS)[number];

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
  /** True only when `verdict` is `clean`. */
  readonly ok: boolean;
  readonly verdict: Verdict;
  /** What did not happen, when the verdict is `inconclusive` (one sentence each). */
  readonly inconclusive?: string[];
  readonly durationMs: number;
  readonly counts: ReportCounts;
  /** What the run raced, as the hardware saw it. */
  readonly coverage: Coverage;
  /** `run`: the coverage counts the scenario exists to race (each must be nonzero for a clean verdict). */
  readonly races?: CoverageKey[];
  readonly workers: number;
  readonly mode: 'threads' | 'deterministic';
  readonly steps?: StepReport[];
  readonly violations: Violation[];
  /** Counts of every violation by invariant (the list above keeps the first few of each). */
  readonly violationCounts: Record<string, number>;
  /** How the run's calls answered, by op: `ok` or errno -> count. */
  readonly outcomes: CallOutcomes;
  /** Set when the run could not complete: a worker thread crashed, the workload failed, or a call answered ETIMEDOUT or EIO. */
  readonly error?: string;
  readonly file?: string;
  readonly params?: Record<string, unknown>;
  /** Deterministic mode: the strategy (with the seed, all replay needs), steps taken, path hash. */
  readonly schedule?: { strategy: StrategyName; pctDepth: number; steps: number; pathHash: number };
}

/** One seed of a sweep: its run report's verdict and counts (`violations` keeps the first few; all are in violationCounts). */
export type SweepRun = Pick<
  RunReport,
  'seed' | 'ok' | 'verdict' | 'inconclusive' | 'durationMs' | 'counts' | 'coverage' | 'violationCounts' | 'violations' | 'error'
>;

/** Where `--shard auto` found its shard: the scheduler, the variables it read, and whether the count came from `auto/N`. */
export interface ShardSource {
  readonly scheduler: string;
  readonly variables: Readonly<Record<string, string>>;
  readonly count: 'env' | 'flag';
}

export interface SweepReport {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'sweep';
  readonly scenario: string;
  readonly mutant: string | null;
  readonly mode: 'threads' | 'deterministic';
  readonly seeds: { readonly from: number; readonly to: number };
  /** The part of the seed range this report covers (1-based index); null when it covers all of it. */
  readonly shard: { readonly index: number; readonly count: number; readonly source?: ShardSource } | null;
  /** True only when every seed is clean. */
  readonly ok: boolean;
  /** `failed` if any seed failed, else `inconclusive` if any seed was, else `clean`. */
  readonly verdict: Verdict;
  readonly durationMs: number;
  /** The scale every seed ran with (duration per seed, VMs, devices, PASIDs, workers), and the sweep's `jobs` (which changes no run). */
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

/** What each coverage count not happening means, for a report's `inconclusive`. */
const NOT_RACED: Readonly<Record<CoverageKey, string>> = {
  teardowns: 'no PASID-entry teardown began',
  teardownsWithDmaInFlight: 'no teardown began with DMA in flight',
  teardownsWithEnqcmdInFlight: 'no teardown began with ENQCMD descriptors in flight',
  kvmClears: 'no KVM_CLEAR_PASID tore a translation down',
  kvmClearsWithEnqcmdInFlight: 'no KVM_CLEAR_PASID began with ENQCMD descriptors in flight',
  unmaps: 'no UNMAP cleared a mapping',
  unmapsWithDmaInFlight: 'no UNMAP began with DMA in flight',
  teardownsWithPageRequests: 'no teardown began with page requests pending',
  pageRequests: 'no PRI device queued a page request',
  multiPageGroups: 'no page-request group asked for more than one page',
  pageResponses: 'no page request was answered',
  lateResponses: 'no response came after a teardown had answered its page request',
  guestPageResponses: 'no page request was answered by a guest vIOMMU',
  teardownCallsRaced: 'no teardown call began while another of the same IOASID was in progress',
  landed: 'no DMA access landed',
  faulted: 'no DMA access faulted',
  accepted: 'no ENQCMD descriptor was accepted',
};

/** The counts of `races` that stayed 0, each as the sentence a report prints. */
export function notRaced(c: Coverage, races: readonly CoverageKey[]): string[] {
  return races.filter((k) => c[k] === 0).map((k) => `${NOT_RACED[k]} (coverage.${k} is 0)`);
}

/** A run's verdict and `ok`: failed beats inconclusive beats clean. */
export function verdictOf(failed: boolean, inconclusive: readonly string[]): { ok: boolean; verdict: Verdict; inconclusive?: string[] } {
  if (failed) return { ok: false, verdict: 'failed' };
  if (inconclusive.length > 0) return { ok: false, verdict: 'inconclusive', inconclusive: [...inconclusive] };
  return { ok: true, verdict: 'clean' };
}

/** A sweep's verdict from its seeds'. */
export function sweepVerdict(runs: readonly Pick<SweepRun, 'verdict'>[]): { ok: boolean; verdict: Verdict } {
  const verdict = runs.some((r) => r.verdict === 'failed') ? 'failed' : runs.some((r) => r.verdict === 'inconclusive') ? 'inconclusive' : 'clean';
  return { ok: verdict === 'clean', verdict };
}
