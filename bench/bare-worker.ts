// Both sides of a bare-loop baseline (bare-dma-worker.ts, bare-enqcmd-worker.ts): a persistent
// worker thread that, asked to run for `ms`, answers with the operations it did.
import { Worker, parentPort } from 'node:worker_threads';
import { sleep } from './stats.js';

export interface BareReply {
  readonly ops: number;
  readonly ms: number;
}

export class BareWorker {
  private readonly worker: Worker;
  constructor(script: string, params: object) {
    this.worker = new Worker(new URL(script, import.meta.url), { workerData: params });
  }

  /** Operations per second over a run of `ms`. */
  rate(ms: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('message', (r: BareReply) => {
        this.worker.off('error', reject);
        resolve((r.ops * 1000) / r.ms);
      });
      this.worker.postMessage({ ms });
    });
  }

  /** The same warm-up as an engine round gets (`warmMs` of work), then the timed run. */
  async warmRate(warmMs: number, ms: number): Promise<number> {
    await this.rate(warmMs);
    await sleep(1);
    return this.rate(ms);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Worker side: answer each {ms} by calling `chunk` (which returns the operations it did) until `ms` passed. */
export function serveBareRuns(chunk: () => number): void {
  parentPort!.on('message', ({ ms }: { ms: number }) => {
    const t0 = performance.now();
    const end = t0 + ms;
    let n = 0;
    do n += chunk();
    while (performance.now() < end);
    parentPort!.postMessage({ ops: n, ms: performance.now() - t0 } satisfies BareReply);
  });
}
