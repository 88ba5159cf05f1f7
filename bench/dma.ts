// Section 2: DMA translations per second on one engine thread, against a bare loop doing the
// same shared-memory loads and stores in a worker thread for the same time (bare-dma-worker.ts).
import { Worker } from 'node:worker_threads';
import type { BareDmaParams, BareDmaReply } from './bare-dma-worker.js';
import { type Section, pairedRow } from './result.js';
import { DmaRig, SPAN } from './rig.js';
import { interleave, sleep } from './stats.js';

export interface DmaOptions { readonly rounds: number; readonly roundMs: number }

/** A persistent bare-loop worker: each round asks it to run for `ms` and returns its rate. */
class BareDma {
  private readonly worker: Worker;
  constructor(params: BareDmaParams) {
    this.worker = new Worker(new URL('./bare-dma-worker.js', import.meta.url), { workerData: params });
  }

  rate(ms: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('message', (r: BareDmaReply) => { this.worker.off('error', reject); resolve((r.ops * 1000) / r.ms); });
      this.worker.postMessage({ ms });
    });
  }

  async close(): Promise<void> { await this.worker.terminate(); }
}

export async function benchDma(o: DmaOptions): Promise<Section> {
  const rig = await DmaRig.create(1, 1);
  const bare = new BareDma({ device: 0, pasid: rig.pasids[0]!, span: SPAN, seed: 1 });
  const landingLatencyUs = rig.sim.options.spec.landingLatencyUs;
  try {
    const sides = {
      engine: () => rig.rate(1, o.roundMs),
      // The same warm-up as the engine's, then the timed run.
      bare: async () => { await bare.rate(20); await sleep(1); return bare.rate(o.roundMs); },
    };
    await interleave(1, sides);
    const r = await interleave(o.rounds, sides);
    return {
      id: 'dma', title: 'DMA translations/s per worker', measured: true,
      baseline: 'a bare loop in a worker thread doing the same IOTLB/page-table/memory loads and stores with no model, same duration',
      rows: [pairedRow('DMA translations/s, one engine thread', r.engine, r.bare, 'ops/s', { kind: 'min', ratio: 0.5 })],
      figures: { rounds: o.rounds, roundMs: o.roundMs, spanPages: SPAN, landingLatencyUs },
      notes: [`one job of unbounded DMA over ${SPAN} pages (IOTLB hits after warm-up), monitor on, landing latency ${landingLatencyUs} us`],
    };
  } finally {
    await bare.close();
    await rig.finish();
  }
}
