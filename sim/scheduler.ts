// The deterministic scheduler: actor message deliveries, engine steps, timer expiries and
// hardware-wait wake-ups all become steps on one ready list, and a seeded strategy picks the
// next one. Nothing else runs: no worker threads, no real timers, so a run is a pure function
// of (workload, seed, strategy). Virtual time advances by a fixed cost per step.
//
// Speed: a run takes tens of thousands of steps, so a step allocates nothing of the scheduler's
// and never waits for the event loop without cause. Between steps the pump lets the step's
// promise continuations settle (a process.nextTick queued from a microtask runs once the
// microtask queue is empty), and takes a setImmediate turn only when work outside the pump is
// due (nact answers a stopped actor's queued mail in a setImmediate of its own), when nothing is
// ready, and every YIELD_EVERY steps so that a long run still lets the process breathe.
import type { Engine } from '../hardware/engine.js';
import type { Waiter } from '../hardware/wait.js';
import { HardwareFailure } from '../hardware/wait.js';
import type { Delivery, Stepper } from '../actors/runtime.js';
import type { Candidate, Strategy } from './strategies/strategy.js';

/** Virtual cost of each kind of step, in ms. */
const COST = { actor: 0.002, engine: 0.001, timer: 0, wait: 0 } as const;
type Kind = keyof typeof COST;

/** Steps between two event-loop turns when nothing else asks for one. */
const YIELD_EVERY = 4096;

/**
 * A microtask is queued as a reaction to this settled promise: the same place in V8's queue as
 * queueMicrotask, without the AsyncResource and bound function Node's queueMicrotask makes per call.
 */
const SETTLED = Promise.resolve();

interface Step extends Candidate {
  readonly kind: Kind;
  run(): unknown;
}
class Timer implements Step {
  readonly kind = 'timer';
  /** Fired or cancelled: dropped at the next scan. */
  gone = false;
  constructor(
    readonly due: number,
    readonly source: string,
    private readonly f: () => void,
  ) {}
  run(): void {
    this.f();
  }
}
class Wait implements Step {
  readonly kind = 'wait';
  /** Past its deadline when it was found ready: its step fails the wait. */
  late = false;
  gone = false;
  constructor(
    readonly source: string,
    readonly done: () => boolean,
    readonly deadline: number,
    private readonly resolve: () => void,
    private readonly reject: (e: Error) => void,
    private readonly limitMs: number,
  ) {}
  run(): void {
    if (!this.late) this.resolve();
    else this.reject(new HardwareFailure(`hardware did not answer within ${this.limitMs} virtual ms while waiting for ${this.source.slice(5)}`));
  }
}
class EngineStep implements Step {
  readonly kind = 'engine';
  readonly source: string;
  constructor(readonly engine: Engine) {
    this.source = `engine:${engine.index}`;
  }
  run(): void {
    this.engine.step();
  }
}
export class DeterministicScheduler implements Stepper {
  /** Virtual time, ms. */
  now = 0;
  /** Steps taken so far: a violation's position in a replay. */
  steps = 0;
  /**
   * Pending deliveries in arrival order, and during a pick also the ready list: the other ready
   * steps are appended behind the deliveries and cut off again before the step runs, so the
   * list is never built anew.
   */
  private readonly ready: Array<Delivery | Timer | Wait | EngineStep> = [];
  private readonly timers: Timer[] = [];
  /** No live timer is due before this (it may be earlier than the earliest: then a scan fixes it). */
  private nextDue = Infinity;
  private readonly waits: Wait[] = [];
  private engines: EngineStep[] = [];
  private wake: (() => void) | null = null;
  private stopped = false;
  /** Work outside the pump is due in a setImmediate: give it a turn before the next pick. */
  private outsideDue = false;
  private pumping: Promise<void> | null = null;
  private ended: (() => void) | null = null;
  private failed: ((e: unknown) => void) | null = null;
  /** A step ran whose onStep waits for its continuations to settle. */
  private unreported = false;
  /** Nothing was ready, and an event-loop turn was given since. */
  private turned = false;
  /**
   * How the pump resumes once a step's continuations settled: called from a microtask, a
   * process.nextTick runs when the microtask queue is empty (Node drains it before ticks).
   */
  private readonly arm = (): void => {
    process.nextTick(this.loop);
  };
  /** From an event-loop turn or a wake-up: through a microtask, so that the tick comes after them all. */
  private readonly resume = (): void => {
    void SETTLED.then(this.arm);
  };
  /** A rolling hash of every choice made: two runs with the same hash took the same path. */
  pathHash = 0;

  constructor(
    private readonly strategy: Strategy,
    private readonly onStep: (step: number) => void = () => {},
    private readonly waitLimitMs = 100,
  ) {}

  readonly deliver = (d: Delivery): void => {
    this.ready.push(d);
    this.poke();
  };

  readonly outside = (): void => {
    this.outsideDue = true;
  };

  /** Run `f` as a timer step once virtual time reaches `due`; the result cancels it. */
  readonly at = (due: number, source: string, f: () => void): (() => void) => {
    const t = new Timer(due, `timer:${source}`, f);
    this.timers.push(t);
    if (due < this.nextDue) this.nextDue = due;
    this.poke();
    return () => {
      t.gone = true;
    };
  };

  readonly sleep = (ms: number, source: string): Promise<void> =>
    new Promise<void>((resolve) => {
      this.at(this.now + Math.max(0, ms), source, resolve);
    });

  readonly waiter: Waiter = {
    until: (done, _arr, _index, what) => {
      if (done()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        this.waits.push(new Wait(`wait:${what}`, done, this.now + this.waitLimitMs, resolve, reject, this.waitLimitMs));
        this.poke();
      });
    },
  };

  setEngines(engines: Engine[]): void {
    this.engines = engines.map((e) => new EngineStep(e));
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  start(): void {
    if (this.pumping) return;
    this.pumping = new Promise<void>((resolve, reject) => {
      this.ended = resolve;
      this.failed = reject;
    });
    this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.pumping;
  }

  /**
   * Append every ready step that is not a delivery behind the deliveries, in the order the
   * strategies have always seen: due timers and ready waits by arrival, then engines with work.
   * Fired and cancelled entries are dropped on the way.
   */
  private collect(): void {
    const ready = this.ready;
    if (this.nextDue <= this.now) {
      const timers = this.timers;
      let next = Infinity;
      let kept = 0;
      for (let i = 0; i < timers.length; i++) {
        const t = timers[i]!;
        if (t.gone) continue;
        timers[kept++] = t;
        if (t.due < next) next = t.due;
        if (t.due <= this.now) ready.push(t);
      }
      if (kept < timers.length) timers.length = kept;
      this.nextDue = next;
    }
    const waits = this.waits;
    if (waits.length > 0) {
      let kept = 0;
      for (let i = 0; i < waits.length; i++) {
        const w = waits[i]!;
        if (w.gone) continue;
        waits[kept++] = w;
        if (w.done()) {
          w.late = false;
          ready.push(w);
        } else if (this.now > w.deadline) {
          w.late = true;
          ready.push(w);
        }
      }
      if (kept < waits.length) waits.length = kept;
    }
    const engines = this.engines;
    for (let i = 0; i < engines.length; i++) if (engines[i]!.engine.hasWork()) ready.push(engines[i]!);
  }

  /** The next timer or hardware-wait deadline (a reply deadline is a timer too), or Infinity. */
  private nextEvent(): number {
    let next = Infinity;
    for (const t of this.timers) if (!t.gone && t.due < next) next = t.due;
    for (const w of this.waits) if (!w.gone && w.deadline + 1e-6 < next) next = w.deadline + 1e-6;
    return next;
  }

  /** The pump, one call per wake-up: it runs steps until one must settle or nothing is ready. */
  private readonly loop = (): void => {
    try {
      this.pump();
    } catch (e) {
      this.stopped = true;
      this.failed?.(e);
    }
  };

  private pump(): void {
    const ready = this.ready;
    for (;;) {
      if (this.unreported) {
        this.unreported = false;
        this.onStep(this.steps);
      }
      if (this.stopped) {
        this.ended?.();
        return;
      }
      const deliveries = ready.length;
      this.collect();
      if (ready.length === 0) {
        // Mail nact answers outside any step (a stopped actor's queue, in a setImmediate of its
        // own) may be on its way: give it a turn before deciding that only time can pass.
        if (!this.turned) {
          this.turned = true;
          setImmediate(this.resume);
          return;
        }
        // Nothing can run now: jump to the next timer or hardware-wait deadline (whichever comes
        // first), or wait for the workload to call in.
        this.turned = false;
        const next = this.nextEvent();
        if (next < Infinity) {
          this.now = Math.max(this.now, next);
          continue;
        }
        this.wake = this.resume;
        return;
      }
      this.turned = false;
      const n = ready.length;
      const i = this.strategy.pick(ready, this.steps);
      const s = ready[i]!;
      while (ready.length > deliveries) ready.pop(); // cheaper than setting length, for a few entries
      let kind: Kind = 'actor';
      if (i < deliveries) ready.splice(i, 1);
      else {
        const step = s as Timer | Wait | EngineStep;
        kind = step.kind;
        if (step.kind !== 'engine') step.gone = true; // an engine stays: it is asked again
      }
      this.now += COST[kind];
      this.steps++;
      this.pathHash = (Math.imul(this.pathHash ^ i, 0x01000193) + n) | 0;
      s.run();
      // Let the step's promise continuations settle before choosing again. An engine step is
      // plain synchronous code on shared memory: it leaves none, so the next pick follows at once.
      if (this.outsideDue || this.steps % YIELD_EVERY === 0) {
        this.outsideDue = false;
        this.unreported = true;
        setImmediate(this.resume);
        return;
      }
      if (kind !== 'engine') {
        this.unreported = true;
        void SETTLED.then(this.arm);
        return;
      }
      this.onStep(this.steps);
    }
  }
}
