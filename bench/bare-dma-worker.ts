// The DMA baseline: a worker thread doing the same shared-memory loads and stores as an engine's
// translation and landing (xorshift IOVA draw, direct-mapped IOTLB probe with the engine's hash,
// page-table load on a miss, then the page's generation and owner checked and its data word
// written), with no model around it: no job table, in-flight counting, landing delay,
// invalidation queue, witness check or counters. It answers each {ms} with the ops it did (serveBareRuns).
// The two loops below mirror Engine.translateBatch and Engine.landOldest on purpose (a baseline
// cannot call the code it judges): keep them in step when the engine's access pattern changes.
import { workerData } from 'node:worker_threads';
import { serveBareRuns } from './bare-worker.js';
import { BATCH } from '../hardware/engine.js';
import { IOTLB_ENTRIES, PG, PG_STRIDE, PT, PT_STRIDE, TLB, TLB_STRIDE } from '../hardware/layout.js';

export interface BareDmaParams {
  readonly device: number;
  readonly pasid: number;
  readonly span: number;
  readonly seed: number;
}

const { device, pasid, span, seed } = workerData as BareDmaParams;
const tlb = new Int32Array(new SharedArrayBuffer(IOTLB_ENTRIES * TLB_STRIDE * 4));
const pt = new Int32Array(new SharedArrayBuffer(PT_STRIDE * 4));
const mem = new Int32Array(new SharedArrayBuffer(span * PG_STRIDE * 4));
for (let i = 0; i < span; i++) {
  pt[PT.ENTRIES + 2 * i] = i + 1; // present: phys + 1
  mem[i * PG_STRIDE + PG.OWNER] = 1;
}
const ops = new Int32Array(BATCH * 2);
let x = seed | 1;

function batch(): void {
  let o = 0;
  for (let k = 0; k < BATCH; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const iova = (x >>> 1) % span;
    const e = ((Math.imul(device * 31 + pasid, 0x9e3779b1) ^ iova) & (IOTLB_ENTRIES - 1)) * TLB_STRIDE;
    let phys: number;
    let gen: number;
    if (tlb[e + TLB.DEV] === device + 1 && tlb[e + TLB.PASID] === pasid && tlb[e + TLB.IOVA] === iova) {
      phys = tlb[e + TLB.PHYS]!;
      gen = tlb[e + TLB.GEN]!;
    } else {
      phys = Atomics.load(pt, PT.ENTRIES + 2 * iova) - 1;
      gen = pt[PT.ENTRIES + 2 * iova + 1]!;
      tlb[e + TLB.PASID] = pasid;
      tlb[e + TLB.IOVA] = iova;
      tlb[e + TLB.PHYS] = phys;
      tlb[e + TLB.GEN] = gen;
      tlb[e + TLB.DEV] = device + 1;
    }
    ops[o++] = phys;
    ops[o++] = (x & 1) === 0 ? gen : ~gen;
  }
  o = 0;
  for (let k = 0; k < BATCH; k++) {
    const phys = ops[o++]!;
    let gen = ops[o++]!;
    const write = gen >= 0;
    if (!write) gen = ~gen;
    const m = phys * PG_STRIDE;
    if (mem[m + PG.GEN] !== gen || mem[m + PG.OWNER] !== 1) throw new Error('bare DMA loop: impossible page state');
    if (write) mem[m + PG.DATA] = pasid;
  }
}

serveBareRuns(() => {
  for (let i = 0; i < 64; i++) batch();
  return 64 * BATCH;
});
