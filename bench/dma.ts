// Section 2: DMA translations per second on one engine thread, against a bare loop doing the
// same shared-memory loads and stores in a worker thread for the same time (bare-dma-worker.ts).
import type { BareDmaParams } from './bare-dma-worker.js';
import { BareWorker } from './bare-worker.js';
import { type Section, pairedRow } from './result.js';
import { DmaRig, SPAN, WARM_MS } from './rig.js';
import { interleave } from './stats.js';

export interface DmaOptions {
  readonly rounds: number;
  readonly roundMs: number;
}

export async function benchDma(o: DmaOptions): Promise<Section> {
  const rig = await DmaRig.create(1, 1);
  const bare = new BareWorker('./bare-dma-worker.js', { device: 0, pasid: rig.pasids[0]!, span: SPAN, seed: 1 } satisfies BareDmaParams);
  const landingLatencyUs = rig.sim.options.spec.landingLatencyUs;
  try {
    const sides = {
      engine: () => rig.rate(1, o.roundMs),
      bare: () => bare.warmRate(WARM_MS, o.roundMs),
    };
    await interleave(1, sides);
    const r = await interleave(o.rounds, sides);
    return {
      id: 'dma',
      title: 'DMA translations/s per worker',
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
