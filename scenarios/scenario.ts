// A built-in stress scenario: a workload that drives a simulation for a while. Scenarios share
// one parameter set (CLI flags), one seeded PRNG each, and one way of turning a run into a report.
import type { MutantName } from '../actors/env.js';
import type { CoverageKey } from '../hardware/coverage.js';
import type { UapiDesign } from '../actors/env.js';
import type { MachineSpec } from '../machine/spec.js';
import { Prng } from '../sim/prng.js';
import { type RunReport, VERSION, countsOf, notRaced, scheduleOf, verdictOf } from '../report/report.js';
import { closeOut } from '../sim/close-out.js';
import { Simulation } from '../sim/simulation.js';
import { type ModeOptions, THREADS } from '../sim/mode.js';

export interface ScenarioParams {
  readonly seed: number;
  readonly durationSec: number;
  readonly vms: number;
  readonly devices: number; // per VM
  readonly pasids: number; // concurrent IOASIDs per device
  readonly workers: number;
  readonly mutant: MutantName | null;
  /** The uAPI design the machine serves (default ioasid); the workload uses that design's ops. */
  readonly uapi?: UapiDesign;
  /** Real threads (default) or deterministic; in deterministic mode durationSec is virtual. */
  readonly mode?: ModeOptions;
  /**
   * Deterministic mode stops at the first violation (the run has found what it was for, and a
   * replay need not repeat the rest) unless this is set. Threads mode always runs its duration.
   */
  readonly keepGoing?: boolean;
}

export const DEFAULT_PARAMS: ScenarioParams = { seed: 1, durationSec: 10, vms: 2, devices: 2, pasids: 4, workers: 2, mutant: null };

/**
 * How long a run lasts when no duration is given: real seconds on threads; virtual seconds in
 * deterministic mode, where 0.1 s is about 70 000 scheduler steps (a second or two here), enough
 * for every built-in mutant to show many times over.
 */
export const DEFAULT_DURATION_SEC = { threads: DEFAULT_PARAMS.durationSec, deterministic: 0.1 } as const;

export interface ScenarioHooks {
  /** Called with the simulation before the workload starts (trace/diagram recorders, embedders). */
  readonly attach?: (sim: Simulation) => void;
  /** Called now and then with the fraction of the run done (0..1). */
  readonly progress?: (done: number) => void;
  /** Publish every actor message as an event (for trace and diagram recorders). */
  readonly publishMessages?: boolean;
}

/** What a workload gets: the simulation, its PRNG, a clock and a deadline. */
export interface Workload {
  readonly sim: Simulation;
  readonly prng: Prng;
  readonly params: ScenarioParams;
  /** Has the run's time run out? */
  readonly expired: () => boolean;
  /** Let the run's time pass; `who` names the sleeper (a scheduling source in deterministic mode). */
  readonly sleep: (ms: number, who: string) => Promise<void>;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /**
   * The coverage counts the scenario exists to race: a run without violation in which one of
   * them stayed 0 showed nothing, and is INCONCLUSIVE rather than clean.
   */
  readonly races: readonly CoverageKey[];
  /** The machine for these parameters. */
  machine(p: ScenarioParams): MachineSpec;
  /** Drive the simulation until `w.expired()`, then let go of everything it holds (the close-out audit then checks it did). */
  drive(w: Workload): Promise<void>;
}

export async function runScenario(s: Scenario, p: ScenarioParams, hooks: ScenarioHooks = {}): Promise<RunReport> {
  const spec = { ...s.machine(p), workers: p.workers, mutant: p.mutant };
  const started = performance.now();
  const mode = p.mode ?? THREADS;
  const sim = new Simulation({
    spec,
    seed: p.seed,
    publishMessages: hooks.publishMessages,
    mode: mode.mode === 'deterministic' ? { expectedSteps: Math.round((p.durationSec * 1e6) / 1.5), ...mode } : mode,
  });
  hooks.attach?.(sim);
  const stopAtFirst = mode.mode === 'deterministic' && !p.keepGoing;
  let tick: NodeJS.Timeout | null = null;
  let error: string | undefined;
  try {
    // The clock starts once the engines run: worker threads take a while to start, and a run
    // whose time passed before any DMA could race would show nothing.
    await sim.enginesReady();
    const t0 = sim.now();
    const deadline = t0 + p.durationSec * 1000;
    tick = hooks.progress ? setInterval(() => hooks.progress!(Math.min(1, (sim.now() - t0) / (p.durationSec * 1000))), 200) : null;
    tick?.unref();
    await s.drive({
      sim,
      prng: new Prng(p.seed),
      params: p,
      expired: () => sim.now() >= deadline || sim.engineFailure !== null || (stopAtFirst && sim.violations.length > 0),
      sleep: (ms, who) => sim.sleep(ms, who),
    });
    await closeOut(sim);
  } catch (e) {
    error = `workload failed: ${(e as Error).message}`;
  } finally {
    if (tick) clearInterval(tick);
    await sim.finish();
    hooks.progress?.(1);
  }
  error = sim.engineFailure ?? error ?? sim.callFailure ?? undefined;
  const violations = [...sim.violations];
  const coverage = sim.coverage();
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'run',
    scenario: s.name,
    seed: p.seed,
    mutant: p.mutant,
    ...verdictOf(violations.length > 0 || error !== undefined, notRaced(coverage, s.races)),
    durationMs: Math.round(performance.now() - started),
    counts: countsOf(sim.counts()),
    coverage,
    races: [...s.races],
    workers: p.workers,
    mode: mode.mode,
    violations,
    ...scheduleOf(sim, mode),
    violationCounts: Object.fromEntries(sim.monitor.counts),
    outcomes: sim.outcomes(),
    params: {
      durationSec: p.durationSec,
      vms: p.vms,
      devices: p.devices,
      pasids: p.pasids,
      ...(p.uapi && p.uapi !== 'ioasid' ? { uapi: p.uapi } : {}),
      ...(p.keepGoing ? { keepGoing: true } : {}),
    },
    ...(error ? { error } : {}),
  };
}

/** Open a /dev/ioasid FD of `vm`; a workload cannot go on without it. */
export async function openFd(w: Workload, vm: number): Promise<number> {
  const r = await w.sim.machine.invoke('open', { vm });
  if (!r.ok) throw new Error(`open(vm${vm + 1}) failed: ${r.errno} ${r.message}`);
  return r.value;
}

/** One FD per VM of the run, in VM order. */
export async function openFdPerVm(w: Workload): Promise<number[]> {
  const fds: number[] = [];
  for (let v = 0; v < w.params.vms; v++) fds.push(await openFd(w, v));
  return fds;
}

/** A machine of `vms` VMs with `devices` devices each, spread over `iommus` units. */
export function gridMachine(
  p: ScenarioParams,
  o: {
    pagesPerVm: number;
    iommus?: number;
    pasidBits?: number;
    enqcmd?: boolean;
    quota?: number | null;
    mixedAts?: boolean;
    pri?: boolean;
    guestFaults?: boolean;
  },
): MachineSpec {
  const iommus = o.iommus ?? Math.min(2, p.vms * p.devices);
  let n = 0;
  return {
    uapi: p.uapi ?? 'ioasid',
    iommus,
    pasidBits: o.pasidBits ?? 20,
    destroyPolicy: 'park',
    vms: Array.from({ length: p.vms }, (_, v) => ({
      name: `vm${v + 1}`,
      vcpus: 2,
      pages: o.pagesPerVm,
      quota: o.quota ?? null,
      ...(o.guestFaults ? { guestFaults: true } : {}),
      devices: Array.from({ length: p.devices }, (_, d) => ({
        name: `vm${v + 1}-dev${d + 1}`,
        iommu: n % iommus,
        pasid: true,
        // mixedAts: every other round of units has no ATS, so each unit serves both kinds.
        ats: !o.mixedAts || Math.floor(n++ / iommus) % 2 === 0,
        enqcmd: o.enqcmd ?? false,
        pri: o.pri ?? false,
      })),
    })),
    workers: p.workers,
    mutant: p.mutant,
    replyTimeoutMs: 10000,
    landingLatencyUs: 200,
    pasidLeaves: 4096,
    pgtables: 4096,
  };
}
