// What a must-catch run on real threads has to have done before "not caught" means anything:
// the moments each bug needs, counted from the run's call events and its jobs' shared counters.
import { JC, JC_STRIDE } from '../../hardware/layout.js';
import type { WorkMeter } from '../threads-runs.js';

/** First teardowns (DISALLOW or DESTROY) of an IOASID while its background DMA job was really landing. */
export const teardownsWithDmaLanding: WorkMeter = {
  what: 'teardowns with DMA landing',
  attach(sim) {
    const landed = (job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
    const jobOf = new Map<number, number>(); // ioasid -> its background DMA job, until its first teardown
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'dma_start' && e.result.ok) jobOf.set(e.args.ioasid, e.result.value);
      else if (e.type === 'call' && (e.op === 'disallow' || e.op === 'destroy')) {
        const job = jobOf.get(e.args.ioasid);
        jobOf.delete(e.args.ioasid);
        if (job !== undefined && landed(job) > 0) n++;
      }
    });
    return () => n;
  },
};

/** DESTROYs of an IOASID while KVM mapped a vPASID to it (the moment a missing KVM kref frees it too early). */
export const destroysWhileKvmMaps: WorkMeter = {
  what: 'DESTROYs while KVM mapped the IOASID',
  attach(sim) {
    const mapped = new Map<string, number>(); // vm.vpasid -> ioasid
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'kvm_set_pasid' && e.result.ok) mapped.set(`${e.args.vm}.${e.args.vpasid}`, e.args.ioasid);
      else if (e.type === 'call' && e.op === 'kvm_clear_pasid') mapped.delete(`${e.args.vm}.${e.args.vpasid}`);
      else if (e.type === 'call' && e.op === 'destroy' && [...mapped.values()].includes(e.args.ioasid)) n++;
    });
    return () => n;
  },
};

/** UNMAPs (and process exits) of an IOASID while its background DMA job had landed accesses: the moments a wrong unmap order shows. */
export const unmapsWithDmaLanding: WorkMeter = {
  what: 'UNMAPs and process exits with DMA landing',
  attach(sim) {
    const landed = (job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
    const jobOf = new Map<number, number>(); // ioasid -> its background DMA job, until it stops
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'dma_start' && e.result.ok) jobOf.set(e.args.ioasid, e.result.value);
      else if (e.type === 'call' && (e.op === 'disallow' || e.op === 'destroy')) jobOf.delete(e.args.ioasid);
      else if (e.type === 'call' && (e.op === 'unmap' || e.op === 'mm_exit')) {
        const job = jobOf.get(e.args.ioasid);
        if (job !== undefined && landed(job) > 0) n++;
      }
    });
    return () => n;
  },
};

/** PASID-entry teardowns that began with page requests of that (device, PASID) pending (coverage). */
export const teardownsWithPageRequests: WorkMeter = {
  what: 'teardowns with page requests pending',
  attach: (sim) => () => sim.coverage().teardownsWithPageRequests,
};

/** Page responses that came after a teardown (or the device) had let go of their group (coverage). */
export const lateResponses: WorkMeter = {
  what: 'responses after their group was answered',
  attach: (sim) => () => sim.coverage().lateResponses,
};

/** DISALLOW or DESTROY calls that began while another of the same IOASID was in progress (teardowns racing on one IOASID). */
export const racingTeardowns: WorkMeter = {
  what: 'teardowns racing another of the same IOASID',
  attach(sim) {
    const inFlight = new Map<number, number>(); // call id -> ioasid
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'call' && (e.op === 'disallow' || e.op === 'destroy')) {
        if ([...inFlight.values()].includes(e.args.ioasid)) n++;
        inFlight.set(e.id, e.args.ioasid);
      } else if (e.type === 'reply') inFlight.delete(e.id);
    });
    return () => n;
  },
};

/** vIOMMU unbinds that answered success (each may be a vPASID's last device, whose KVM translation must go). */
export const viommuUnbinds: WorkMeter = {
  what: 'vIOMMU unbinds',
  attach(sim) {
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'viommu_unbind' && e.result.ok) n++;
    });
    return () => n;
  },
};
