// Engines run on the main thread, one step at a time, when the deterministic scheduler picks
// them: the same hardware/engine.ts logic the worker threads run, with virtual time.
import { Engine, type EngineOptions } from '../hardware/engine.js';
import { CTRL, type Hardware } from '../hardware/layout.js';
import type { EngineHost } from '../workers/pool.js';
import type { DeterministicScheduler } from './scheduler.js';

export class InThreadEngines implements EngineHost {
  private engines: Engine[] = [];
  failure: string | null = null;

  constructor(
    private readonly hw: Hardware,
    private readonly options: EngineOptions,
    private readonly crashEngine: number,
    private readonly scheduler: DeterministicScheduler,
  ) {}

  get running(): boolean {
    return this.engines.length > 0;
  }

  start(): void {
    if (this.running) return;
    Atomics.store(this.hw.ctrl, CTRL.STOP, 0);
    this.engines = Array.from({ length: this.hw.shape.engines }, (_, i) => new Engine(this.hw, i, this.options, () => this.scheduler.now));
    for (const e of this.engines) e.start();
    if (this.crashEngine >= 0 && this.engines[this.crashEngine]) {
      // Same outcome as a crashed worker thread: the engine leaves and the FAILED word is set.
      this.engines[this.crashEngine]!.finish();
      this.engines.splice(this.crashEngine, 1);
      this.failure = `engine ${this.crashEngine} failed: engine ${this.crashEngine} crashed on purpose (test)`;
      Atomics.store(this.hw.ctrl, CTRL.FAILED, 1);
    }
    this.scheduler.setEngines(this.engines);
  }

  async stop(): Promise<void> {
    for (const e of this.engines) e.finish();
    this.engines = [];
    this.scheduler.setEngines([]);
  }
}
