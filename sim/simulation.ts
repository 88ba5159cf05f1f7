// A simulation: the machine (world), the monitor (auditor) and the event stream that carries
// calls, replies, stats and violations to reports and embedders.
import { Subject, type Observable } from 'rxjs';
import type { ReplyEvent, SimEvent } from '../actors/events.js';
import type { FallibleSite } from '../actors/env.js';
import { Machine } from '../machine/machine.js';
import type { MachineSpec } from '../machine/spec.js';
import { type MachineNames, machineNames } from '../machine/names.js';
import { type Coverage, readCoverage } from '../hardware/coverage.js';
import { waitEnginesRunning } from '../hardware/engine.js';
import { EC, EC_STRIDE, J, JOB_STRIDE } from '../hardware/layout.js';
import type { Waiter } from '../hardware/wait.js';
import type { Violation } from '../invariants/catalog.js';
import { Monitor } from '../invariants/monitor.js';
import { type ParentRef, createRuntime } from '../actors/runtime.js';
import { InThreadEngines } from './engines.js';
import { type ModeOptions, THREADS, makeStrategy } from './mode.js';
import { DeterministicScheduler } from './scheduler.js';

export interface Counts {
  dma: number;
  dmaFaults: number;
  enqcmd: number;
  gp: number;
  retries: number;
  calls: number;
  messages: number;
}
/** What one engine thread has done so far. */
export interface EngineCounts {
  dma: number;
  dmaFaults: number;
  enqcmd: number;
  retries: number;
  gp: number;
}
/** How the calls of a run answered: op -> `ok` or errno -> count. */
export type CallOutcomes = Record<string, Record<string, number>>;

export interface SimulationOptions {
  readonly spec: MachineSpec;
  readonly seed: number;
  readonly injectFault?: (site: FallibleSite) => boolean;
  readonly waiter?: Waiter;
  /** Publish every actor message as a `message` event (diagrams, traces). Counting is always on. */
  readonly publishMessages?: boolean;
  /** How often the monitor reads the engines' anomaly log and stats are published, in ms. */
  readonly pollMs?: number;
  /** Real threads (default) or the deterministic scheduler. */
  readonly mode?: ModeOptions;
  /** Spawn the subsystem under this actor of an existing nact system. */
  readonly parent?: ParentRef;
}

/** The errnos of a call that could not complete: it timed out, or the hardware failed it. */
const INCOMPLETE: ReadonlySet<string> = new Set(['ETIMEDOUT', 'EIO']);

/** Deterministic mode: the monitor reads the anomaly log every this many scheduler steps. */
const POLL_EVERY_STEPS = 64;

export class Simulation {
  private readonly subject = new Subject<SimEvent>();
  /** Every event of the run, in order: calls, replies, krefs, PASID states, stats, violations. */
  readonly events$: Observable<SimEvent> = this.subject.asObservable();
  readonly machine: Machine;
  readonly monitor: Monitor;
  readonly seed: number;
  /** What the user calls the VMs, devices and vCPUs (reports and recorders name them so). */
  readonly names: MachineNames;
  private calls = 0;
  private incompleteCalls = 0;
  private firstIncomplete: string | null = null;
  private messages = 0;
  private readonly outcomeCounts = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  /** Set once the close-out (sim/close-out.ts) began: its calls are the auditor's, not the workload's, and are not counted. */
  closingOut = false;
  /** Set in deterministic mode. */
  readonly scheduler: DeterministicScheduler | null = null;

  constructor(readonly options: SimulationOptions) {
    this.seed = options.seed;
    this.names = machineNames(options.spec);
    const emit = (e: SimEvent) => {
      // The machine and actors stamp real time; a deterministic run's clock is the scheduler's.
      if (this.scheduler) e.t = this.scheduler.now;
      if (e.type === 'call' && !this.closingOut) this.calls++;
      else if (e.type === 'reply') this.onReply(e);
      this.monitor?.observe(e); // the auditor sees each event before anyone else
      this.subject.next(e);
    };
    const mode = options.mode ?? THREADS;
    if (mode.mode === 'deterministic') {
      this.scheduler = new DeterministicScheduler(makeStrategy(mode, options.seed), (n) => {
        if (n % POLL_EVERY_STEPS === 0) this.monitor.poll();
      });
    }
    const sched = this.scheduler;
    // Deterministic: every delivery and reply deadline of the machine's actors is a step of this
    // run's scheduler (and of no other run's), on its virtual clock.
    const stepped = (s: DeterministicScheduler) => createRuntime({ now: () => s.now }, { kind: 'stepped', scheduler: s });
    this.machine = new Machine(options.spec, {
      emit,
      now: () => this.now(),
      ...(options.injectFault ? { injectFault: options.injectFault } : {}),
      ...(options.parent ? { parent: options.parent } : {}),
      ...(sched
        ? { runtime: stepped(sched), waiter: sched.waiter, engineHost: (hw, o, crash) => new InThreadEngines(hw, o, crash, sched) }
        : options.waiter
          ? { waiter: options.waiter }
          : {}),
    });
    this.monitor = new Monitor({
      hw: this.machine.hw,
      deviceVm: this.machine.devices.map((d) => d.vm),
      names: this.names,
      vmQuota: options.spec.vms.map((v) => v.quota),
      pasidState: (p) => this.machine.pasidState(p),
      uapi: options.spec.uapi,
      onViolation: (v: Violation) => this.subject.next({ type: 'violation', ...v, t: this.now() }),
      ...(sched ? { position: () => sched.steps } : {}),
      now: () => this.now(),
      // Virtual time in deterministic mode; real threads on a loaded machine get three times as long.
      pageRequestBoundMs: options.spec.replyTimeoutMs * (sched ? 1 : 3),
    });
    const publish = options.publishMessages === true;
    this.machine.traceMessages((from, to, kind, isReply) => {
      this.messages++;
      if (publish) this.subject.next({ type: 'message', from, to, kind, reply: isReply, t: this.now() });
    });
    if (sched) {
      sched.start();
    } else {
      this.timer = setInterval(() => {
        this.monitor.poll();
        this.subject.next({ type: 'stats', ...this.hardwareCounts(), t: this.now() });
      }, options.pollMs ?? 20);
      this.timer.unref();
    }
  }

  /** The run's clock in ms: real, or virtual in deterministic mode. */
  now(): number {
    return this.scheduler ? this.scheduler.now : performance.now();
  }

  /** Let `ms` of the run's time pass (`source` names the sleeper for the scheduler). */
  sleep(ms: number, source: string): Promise<void> {
    return this.scheduler ? this.scheduler.sleep(ms, source) : new Promise((res) => setTimeout(res, ms));
  }

  private onReply(e: ReplyEvent): void {
    if (!this.closingOut) {
      const outcome = e.result.ok ? 'ok' : e.result.errno;
      const m = this.outcomeCounts.get(e.op) ?? new Map<string, number>();
      this.outcomeCounts.set(e.op, m);
      m.set(outcome, (m.get(outcome) ?? 0) + 1);
    }
    if (!e.result.ok && INCOMPLETE.has(e.result.errno)) {
      this.incompleteCalls++;
      this.firstIncomplete ??= `${e.op} answered ${e.result.errno}: ${e.result.message}`;
    }
  }

  /**
   * Calls that could not complete (ETIMEDOUT: an actor did not answer in time; EIO: the hardware
   * did not): a run with one has not shown what it set out to, whatever the rest says. Null: none.
   */
  get callFailure(): string | null {
    if (this.firstIncomplete === null) return null;
    return this.incompleteCalls === 1 ? this.firstIncomplete : `${this.incompleteCalls} calls could not complete; the first: ${this.firstIncomplete}`;
  }

  /** What the run raced so far, as the hardware saw it. */
  coverage(): Coverage {
    return readCoverage(this.machine.hw);
  }

  /**
   * Start the engines (if no job has yet) and wait until each has entered its loop: worker
   * threads take about half a second to start, and a run's clock should not tick before then.
   * At once in deterministic mode.
   */
  async enginesReady(): Promise<void> {
    const m = this.machine;
    if (!m.engines.running) m.engines.start();
    await waitEnginesRunning(m.hw, m.env.host.waiter);
  }

  /** Each engine thread's counts, indexed by engine. */
  engineCounts(): EngineCounts[] {
    const c = this.machine.hw.engineCounts;
    return Array.from({ length: this.options.spec.workers }, (_, e) => {
      const b = e * EC_STRIDE;
      const faulted = c[b + EC.FAULTED]!;
      return { dma: c[b + EC.LANDED]! + faulted, dmaFaults: faulted, enqcmd: c[b + EC.ACCEPTED]!, retries: c[b + EC.RETRIED]!, gp: c[b + EC.GP]! };
    });
  }

  /** The engine thread a job runs on (valid while the job is running). */
  jobEngine(job: number): number {
    return Atomics.load(this.machine.hw.jobs, job * JOB_STRIDE + J.ENGINE);
  }

  private hardwareCounts(): EngineCounts {
    const sum: EngineCounts = { dma: 0, dmaFaults: 0, enqcmd: 0, retries: 0, gp: 0 };
    for (const e of this.engineCounts()) for (const k of Object.keys(sum) as (keyof EngineCounts)[]) sum[k] += e[k];
    return sum;
  }

  /** How the calls so far answered, by op and outcome. */
  outcomes(): CallOutcomes {
    return Object.fromEntries([...this.outcomeCounts].map(([op, m]) => [op, Object.fromEntries(m)]));
  }

  counts(): Counts {
    const h = this.hardwareCounts();
    return { dma: h.dma, dmaFaults: h.dmaFaults, enqcmd: h.enqcmd, gp: h.gp, retries: h.retries, calls: this.calls, messages: this.messages };
  }

  /** Publish an event of the workload (a sequence step) on the run's stream. */
  publish(e: SimEvent): void {
    this.subject.next(e);
  }

  get violations(): readonly Violation[] {
    return this.monitor.violations;
  }
  get engineFailure(): string | null {
    return this.machine.engines.failure;
  }

  /** Stop the engines, run the final checks, and stop every actor, timer and thread. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.machine.stopEngines();
    await this.monitor.final();
    this.subject.next({ type: 'stats', ...this.hardwareCounts(), t: this.now() });
    if (this.scheduler) await this.scheduler.stop();
    await this.machine.shutdown();
    this.subject.complete();
  }
}
