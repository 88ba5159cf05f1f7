// Section 4: latency of DESTROY of an IOASID whose device is doing DMA while every engine is at
// full load, against the bare hardware handshake the teardown is built on (post the PASID-cache,
// IOTLB and device-TLB invalidations, wait for every engine's ack, drain the job's in-flight DMA), run on the same
// engines under the same load with no actor involved. Both sides wait for batches already in
// flight to land, so the landing latency is part of both.
import os from 'node:os';
import { postInvalidation, waitInvalidation } from '../hardware/invalidation.js';
import { InvKind } from '../hardware/layout.js';
import { type Section, row } from './result.js';
import { DmaRig, SPAN, must } from './rig.js';
import { interleave, percentile } from './stats.js';

export interface TeardownOptions {
  readonly reps: number;
}

export async function benchTeardown(o: TeardownOptions): Promise<Section> {
  const engines = os.availableParallelism();
  // Lanes 0..engines-1 keep every engine busy; the last lane's device is the one torn down.
  const rig = await DmaRig.create(engines, engines + 1, 2 * SPAN);
  const m = rig.sim.machine;
  const { hw, jobs, pasidTables, waiter } = m.env.host;
  const device = engines;
  const fd = rig.fd;
  const landingLatencyUs = rig.sim.options.spec.landingLatencyUs;

  /** A fresh IOASID on the target device with its DMA really landing. */
  const busyIoasid = async () => {
    const p = must(await m.invoke('alloc', { fd }), 'alloc');
    must(await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: SPAN }), 'bind_pgtbl');
    must(await m.invoke('allow', { device, fd, ioasid: p }), 'allow');
    const job = must(await m.invoke('dma_start', { device, ioasid: p, seed: p }), 'dma_start');
    while (jobs.counts(job).landed === 0) await new Promise((r) => setImmediate(r));
    return { p, job };
  };
  const release = async (p: number, job: number) => {
    must(await m.invoke('disallow', { device, fd, ioasid: p }), 'disallow');
    must(await m.invoke('stop', { job }), 'stop');
  };

  const background = await rig.start(engines);
  try {
    const sides = {
      destroy: async () => {
        const { p, job } = await busyIoasid();
        const t0 = performance.now();
        must(await m.invoke('destroy', { fd, ioasid: p }), 'destroy');
        const dt = performance.now() - t0;
        await release(p, job);
        return dt;
      },
      handshake: async () => {
        const { p, job } = await busyIoasid();
        // The entry's present bit goes first, as in every teardown; without it the drain could
        // wait forever on a device that keeps translating.
        pasidTables.clearPresent(device, p);
        const t0 = performance.now();
        // The flushes a teardown posts to the device's unit (0): PASID cache, IOTLB, device TLB.
        await postInvalidation(hw, waiter, 0, { kind: InvKind.PASID_CACHE, device, pasid: p });
        await postInvalidation(hw, waiter, 0, { kind: InvKind.IOTLB, device, pasid: p });
        await waitInvalidation(hw, waiter, 0, await postInvalidation(hw, waiter, 0, { kind: InvKind.DEVTLB, device, pasid: p }));
        await jobs.drain(device, p, waiter);
        const dt = performance.now() - t0;
        // The actors then tear the (already cleared) entry down their own way and free it.
        await release(p, job);
        must(await m.invoke('destroy', { fd, ioasid: p }), 'destroy');
        return dt;
      },
    };
    await interleave(Math.min(10, o.reps), sides); // warm-up
    const r = await interleave(o.reps, sides);
    const us = (xs: number[], q: number) => percentile(xs, q) * 1000;
    return {
      id: 'teardown',
      title: 'DESTROY latency under full DMA load',
      baseline: 'one bare invalidate-and-drain handshake (postInvalidation + waitInvalidation + jobs.drain) on the same engines under the same load, no actors',
      rows: [
        row('DESTROY latency p50', us(r.destroy, 0.5), us(r.handshake, 0.5), 'us'),
        row('DESTROY latency p99', us(r.destroy, 0.99), us(r.handshake, 0.99), 'us', { kind: 'max', ratio: 10 }),
      ],
      figures: { engines, reps: o.reps, landingLatencyUs, destroyMaxUs: us(r.destroy, 1), handshakeMaxUs: us(r.handshake, 1) },
      notes: [
        `${engines} engine(s), each running unbounded DMA on its own device, plus the target device's DMA on the IOASID destroyed`,
        `landing latency ${landingLatencyUs} us: a drain waits for batches translated before the entry was cleared to land, on both sides`,
      ],
    };
  } finally {
    await rig.stop(background);
    await rig.finish();
  }
}
