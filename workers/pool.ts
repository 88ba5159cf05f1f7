// Main-thread side of the engine threads: starts one long piscina task per engine, turns a
// crashed thread into a FAILED word (so every hardware wait ends with a clear error instead of
// hanging), and stops and destroys the pool so the process can exit.
import { Piscina } from 'piscina';
import { CTRL, type Hardware } from '../hardware/layout.js';
import { ringDoorbell } from '../hardware/invalidation.js';
import type { EngineOptions } from '../hardware/engine.js';
import type { EngineTask } from './engine-worker.js';

/** Whoever runs the engines: threads (EnginePool) or a deterministic scheduler. */
export interface EngineHost {
  readonly running: boolean;
  /** Why an engine died, once one has. */
  readonly failure: string | null;
  start(): void;
  stop(): Promise<void>;
}

export type EngineHostFactory = (hw: Hardware, options: EngineOptions, crashEngine: number) => EngineHost;

export class EnginePool implements EngineHost {
  private pool: Piscina | null = null;
  private tasks: Promise<unknown>[] = [];
  failure: string | null = null;

  constructor(
    private readonly hw: Hardware,
    private readonly options: EngineOptions,
    private readonly crashEngineForTest = -1,
  ) {}

  get running(): boolean {
    return this.pool !== null;
  }

  start(): void {
    if (this.pool) return;
    const n = this.hw.shape.engines;
    Atomics.store(this.hw.ctrl, CTRL.STOP, 0);
    this.pool = new Piscina({
      filename: new URL('./engine-worker.js', import.meta.url).href,
      minThreads: n,
      maxThreads: n,
      idleTimeout: 1000,
      concurrentTasksPerWorker: 1,
    });
    // piscina emits 'error' on some aborts; without a listener that kills the process.
    this.pool.on('error', (e: unknown) => this.fail(`worker pool error: ${(e as Error)?.message ?? e}`));
    for (let i = 0; i < n; i++) {
      const task: EngineTask = { buffers: this.hw.buffers, index: i, options: this.options, crashForTest: i === this.crashEngineForTest };
      this.tasks.push(this.pool.run(task).catch((e: unknown) => this.fail(`engine ${i} failed: ${(e as Error)?.message ?? e}`)));
    }
  }

  private fail(message: string): void {
    if (!this.failure) this.failure = message;
    Atomics.store(this.hw.ctrl, CTRL.FAILED, 1);
    Atomics.notify(this.hw.ctrl, CTRL.FAILED);
  }

  async stop(): Promise<void> {
    if (!this.pool) return;
    Atomics.store(this.hw.ctrl, CTRL.STOP, 1);
    ringDoorbell(this.hw);
    await Promise.all(this.tasks);
    this.tasks = [];
    const pool = this.pool;
    this.pool = null;
    await pool.destroy();
  }
}
