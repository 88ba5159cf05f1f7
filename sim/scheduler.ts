// The deterministic scheduler: actor message deliveries, engine steps, timer expiries and
// hardware-wait wake-ups all become steps on one ready list, and a seeded strategy picks the
// next one. Nothing else runs: no worker threads, no real timers, so a run is a pure function
// of (workload, seed, strategy). Virtual time advances by a fixed cost per step.
import type { Engine } from '../hardware/engine.js';
import type { Waiter } from '../hardware/wait.js';
import { HardwareFailure } from '../hardware/wait.js';
import type { Delivery } from '../actors/runtime.js';
import type { Candidate, Strategy } from './strategies/strategy.js';

/** Virtual cost of each kind of step, in ms. */
const COST = { actor: 0.002, engine: 0.001, timer: 0, wait: 0 } as const;

interface Step extends Candidate {
  readonly kind: keyof typeof COST;
  readonly run: () => unknown;
  readonly remove: () => void;
}
interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly source: string;
  readonly run: () => void;
}
interface Wait {
  readonly done: () => boolean;
  readonly source: string;
  readonly resolve: () => void;
  readonly deadline: number;
  readonly reject: (e: Error) => void;
}

export class DeterministicScheduler {
  /** Virtual time, ms. */
  now = 0;
  /** Steps taken so far: a violation's position in a replay. */
  steps = 0;
  private readonly deliveries: Delivery[] = [];
  private readonly timers: Timer[] = [];
  private readonly waits: Wait[] = [];
  private engines: Engine[] = [];
  private timerSeq = 0;
  private wake: (() => void) | null = null;
  private stopped = false;
  private pumping: Promise<void> | null = null;
  /** A rolling hash of every choice made: two runs with the same hash took the same path. */
  pathHash = 0;

  constructor(
    private readonly strategy: Strategy,
    private readonly onStep: (step: number) => void = () => {},
    private readonly waitLimitMs = 100,
  ) {}

  readonly deliver = (d: Delivery): void => {
    this.deliveries.push(d);
    this.poke();
  };

  /** Run `f` as a timer step once virtual time reaches `due`; the result cancels it. */
  readonly at = (due: number, source: string, f: () => void): (() => void) => {
    const t: Timer = { due, seq: this.timerSeq++, source: `timer:${source}`, run: f };
    this.timers.push(t);
    this.poke();
    return () => {
      const i = this.timers.indexOf(t);
      if (i >= 0) this.timers.splice(i, 1);
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
        this.waits.push({ done, source: `wait:${what}`, resolve, reject, deadline: this.now + this.waitLimitMs });
        this.poke();
      });
    },
  };

  setEngines(engines: Engine[]): void {
    this.engines = engines;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  start(): void {
    this.pumping ??= this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.pumping;
  }

  private readyNow(): Step[] {
    const ready: Step[] = [];
    for (const d of this.deliveries)
      ready.push({ source: `actor:${d.actor}`, kind: 'actor', run: d.run, remove: () => this.deliveries.splice(this.deliveries.indexOf(d), 1) });
    for (const t of this.timers)
      if (t.due <= this.now) ready.push({ source: t.source, kind: 'timer', run: t.run, remove: () => this.timers.splice(this.timers.indexOf(t), 1) });
    for (const w of this.waits) {
      if (w.done()) ready.push({ source: w.source, kind: 'wait', run: w.resolve, remove: () => this.waits.splice(this.waits.indexOf(w), 1) });
      else if (this.now > w.deadline)
        ready.push({
          source: w.source,
          kind: 'wait',
          run: () => w.reject(new HardwareFailure(`hardware did not answer within ${this.waitLimitMs} virtual ms while waiting for ${w.source.slice(5)}`)),
          remove: () => this.waits.splice(this.waits.indexOf(w), 1),
        });
    }
    for (const e of this.engines) if (e.hasWork()) ready.push({ source: `engine:${e.index}`, kind: 'engine', run: () => e.step(), remove: () => {} });
    return ready;
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      let ready = this.readyNow();
      if (ready.length === 0) {
        // Mail nact answers outside any step (a stopped actor's queue, in a setImmediate of its
        // own) may be on its way: give it a turn before deciding that only time can pass.
        await new Promise<void>((res) => setImmediate(res));
        if (this.stopped) break;
        ready = this.readyNow();
      }
      if (ready.length === 0) {
        // Nothing can run now: jump to the next timer or hardware-wait deadline (whichever comes
        // first: a reply deadline is a timer too), or wait for the workload to call in.
        const next = Math.min(...this.timers.map((t) => t.due), ...this.waits.map((w) => w.deadline + 1e-6));
        if (next < Infinity) {
          this.now = Math.max(this.now, next);
          continue;
        }
        await new Promise<void>((res) => {
          this.wake = res;
        });
        continue;
      }
      const i = this.strategy.pick(ready, this.steps);
      const s = ready[i]!;
      s.remove();
      this.now += COST[s.kind];
      this.steps++;
      this.pathHash = (Math.imul(this.pathHash ^ i, 0x01000193) + ready.length) | 0;
      s.run();
      // Let the step's promise continuations settle before choosing again.
      await new Promise<void>((res) => setImmediate(res));
      this.onStep(this.steps);
    }
  }
}
