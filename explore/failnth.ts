// fail-nth: the kernel's iommufd_fail_nth (docs/kernel-facts.md#fault-injection-iommufd_fail_nth, and
// docs/kernel-facts.md#l6-fault-injection-survival) on a sequence file.
// For n = 1, 2, ... the file runs on a fresh machine whose fault injector makes the n-th
// fallible internal step fail, until a run in which no n-th step happens (that last run, where
// nothing failed, is reported too). The fallible steps are every consultation of the machine's
// injector, counted across all sites in the order they happen:
//   pasid-alloc    the allocator taking a PASID (ALLOC; after the quota check)
//   pgtable-alloc  an IOASID building its IO page table (BIND_PGTBL)
//   iommu-install  an IOMMU unit writing a PASID-table entry (DEVICE_ALLOW_IOASID)
//   worker-start   starting the DMA engine threads (the first `dma` / `dma_start` of a run)
//   invalidation-wait  waiting for an IOTLB invalidation to complete (DISALLOW, DESTROY, close)
//   drain          draining a (device, PASID)'s in-flight DMA (the same teardowns)
//   kvm-quiesce    KVM waiting for vCPUs mid-submission (KVM_CLEAR_PASID)
//   map-flush      waiting for the first MAP's (or BIND's) PASID-entry change to be invalidated (the MAP is undone)
//   unmap-flush    waiting for UNMAP's ranged IOTLB / device-TLB flush (its pages are kept, never freed early)
//   unmap-drain    UNMAP draining in-flight DMA of the range (the same)
// A failed teardown step fails its call and leaves the object as it was (the abort path), so
// the close-out below can still finish it: a leak there means an error path kept something.
// Only the file's own steps are counted; the close-out (the audit) never fails.
// Every run must show, whatever the steps' `expect:` say (an injected failure legitimately
// changes later outcomes, so unmet expectations are listed but not judged):
//   1. an errno on the failing call: the step whose call was in progress when the injector fired;
//   2. no invariant violation (online checks and the final ones) and no crashed worker thread;
//   3. nothing leaked once everything is closed: the close-out audit every run ends with
//      (sim/close-out.ts; L1: release once every user let go) found nothing.
import type { FallibleSite } from '../actors/env.js';
import { isErrno } from '../actors/result.js';
import type { Violation } from '../invariants/catalog.js';
import { VERSION } from '../report/report.js';
import type { Sequence } from '../sequence/file.js';
import { type SequenceRunOptions, runSequence } from '../sequence/runner.js';
import type { Simulation } from '../sim/simulation.js';

export interface FailNthOptions extends Pick<SequenceRunOptions, 'seed' | 'workers' | 'attach' | 'mode'> {
  /** Give up (not ok) if the sweep has not ended after this many runs; the kernel's bound is 400. */
  readonly maxRuns?: number;
}

export interface FailNthRun {
  readonly n: number;
  /** The site that failed; null in the final run, where the n-th fallible step never came. */
  readonly site: FallibleSite | null;
  /** The step whose call was in progress when the site failed (null: outside every step). */
  readonly step: number | null;
  readonly op: string | null;
  /** That step's result: an errno, or `ok` when the failure was swallowed (a rule break). */
  readonly result: string | null;
  /** What the close-out audit found (its `leak` violations): a close that failed, or something still held. */
  readonly leaks: readonly string[];
  readonly violations: readonly Violation[];
  /** Steps whose `expect:` was not met: reported, not judged. */
  readonly unmet: readonly number[];
  /** The rules this run broke, one line each; empty when it passed. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

export interface FailNthReport {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'failnth';
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  /** Fallible steps in a run where nothing fails: the sweep's length. */
  readonly fallibleSteps: number;
  readonly runs: readonly FailNthRun[];
  readonly ok: boolean;
  readonly durationMs: number;
}

const DEFAULT_MAX_RUNS = 400;

interface Fired {
  readonly site: FallibleSite;
  /** The steps whose calls were in progress when it failed: the current one first, then any sent `nowait`. */
  readonly steps: readonly number[];
}

/** Run the file once, failing the n-th fallible step. */
async function runFailing(seq: Sequence, n: number, o: FailNthOptions): Promise<FailNthRun> {
  // Filled in by the callbacks below while the file runs.
  const probe: { sim: Simulation | null; count: number; closing: boolean; fired: Fired | null } = {
    sim: null,
    count: 0,
    closing: false,
    fired: null,
  };
  const problems: string[] = [];
  const inProgress = new Set<number>();
  const report = await runSequence(seq, {
    inProgress,
    seed: o.seed,
    workers: o.workers,
    mode: o.mode,
    // Its failures are injected: the rules below judge the calls that answered EIO.
    incompleteCallsFail: false,
    attach: (s) => {
      probe.sim = s;
      o.attach?.(s);
    },
    injectFault: (site) => {
      // The close-out is the audit, not the file: its steps are not counted and never fail.
      if (probe.closing || ++probe.count !== n) return false;
      // runSequence marks the current step on the monitor, and keeps every step in progress.
      const current = probe.sim?.monitor.step;
      probe.fired = { site, steps: [...new Set([...(current == null ? [] : [current]), ...inProgress])] };
      return true;
    },
    // The run's close-out audit (sim/close-out.ts) follows: its calls are not counted and never fail.
    beforeFinish: async () => {
      probe.closing = true;
    },
  });
  const { fired } = probe;
  const leaks = report.violations.filter((v) => v.invariant === 'leak').map((v) => v.detail);
  // The failure is one of theirs: with calls in flight at once, whichever hit it must answer an errno.
  const candidates = (fired?.steps ?? []).map((i) => report.steps?.[i]).filter((st) => st !== undefined);
  const step = candidates.find((st) => isErrno(st.result)) ?? candidates[0] ?? null;
  if (fired && !step) problems.push(`the ${fired.site} failure came outside every step`);
  if (fired && step && !isErrno(step.result))
    problems.push(
      `${candidates.map((st) => `step ${st.index} (${st.op}) answered ${st.result}`).join(', ')} although ${candidates.length > 1 ? 'one of their' : 'its'} ${fired.site} step failed`,
    );
  problems.push(...leaks.map((l) => `leak: ${l}`));
  problems.push(...report.violations.filter((v) => v.invariant !== 'leak').map((v) => `violation ${v.invariant}: ${v.detail}`));
  if (report.error) problems.push(`the run failed: ${report.error}`);
  return {
    n,
    site: fired?.site ?? null,
    step: step?.index ?? null,
    op: step?.op ?? null,
    result: step?.result ?? null,
    leaks,
    violations: report.violations,
    unmet: (report.steps ?? []).filter((st) => !st.met).map((st) => st.index),
    problems,
    ok: problems.length === 0,
  };
}

/** The whole sweep over one sequence file. */
export async function failNth(seq: Sequence, o: FailNthOptions = {}): Promise<FailNthReport> {
  const started = performance.now();
  const maxRuns = o.maxRuns ?? DEFAULT_MAX_RUNS;
  const runs: FailNthRun[] = [];
  let ended = false;
  for (let n = 1; n <= maxRuns && !ended; n++) {
    const run = await runFailing(seq, n, o);
    runs.push(run);
    ended = run.site === null;
  }
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'failnth',
    scenario: seq.name,
    file: seq.file,
    seed: o.seed ?? seq.seed ?? 1,
    fallibleSteps: ended ? runs.length - 1 : maxRuns,
    runs,
    ok: ended && runs.every((r) => r.ok),
    durationMs: Math.round(performance.now() - started),
  };
}

/** A human summary: one line per run, then the verdict. */
export function failNthSummary(r: FailNthReport): string {
  const lines = r.runs.map((run) => {
    const what = run.site === null ? 'nothing failed' : `${run.site} failed at step ${run.step ?? '-'} (${run.op ?? '-'}) -> ${run.result ?? '-'}`;
    return `n=${run.n}: ${what}: ${run.ok ? 'ok' : run.problems.join('; ')}`;
  });
  const ended = r.runs.at(-1)?.site === null;
  const verdict = !ended
    ? `not ok: still failing steps after ${r.runs.length} runs`
    : r.ok
      ? `ok: ${r.fallibleSteps} fallible steps, each failure handled`
      : 'not ok';
  return [`${r.scenario}: fail-nth`, ...lines, verdict].join('\n');
}
