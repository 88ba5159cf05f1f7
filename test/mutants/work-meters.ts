// What a must-catch run on real threads has to have done before "not caught" means anything:
// the moments each bug needs, counted from the run's call events and its jobs' shared counters.
import { JC, JC_STRIDE } from '../../hardware/layout.js';
import type { MeterName } from '../../scenarios/must-catch.js';
import type { WorkMeter } from '../threads-runs.js';

/**
 * First teardowns (DISALLOW or DESTROY; under iommufd, where the PASID is the VMM's and not the
 * HWPT's, DETACH of the device's PASID) of an IOASID while its background DMA job was really landing.
 */
const teardownsWithDmaLanding: WorkMeter = {
  what: 'teardowns with DMA landing',
  attach(sim) {
    const landed = (job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
    const jobOf = new Map<number, number>(); // ioasid -> its background DMA job, until its first teardown
    const jobAt = new Map<string, number>(); // device:pasid -> the same, for DETACH
    let n = 0;
    const tornDown = (job: number | undefined) => {
      if (job !== undefined && landed(job) > 0) n++;
    };
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'dma_start' && e.result.ok) {
        jobOf.set(e.args.ioasid, e.result.value);
        jobAt.set(`${e.args.device}:${e.args.ioasid}`, e.result.value);
      } else if (e.type === 'call' && (e.op === 'disallow' || e.op === 'destroy')) {
        tornDown(jobOf.get(e.args.ioasid));
        jobOf.delete(e.args.ioasid);
      } else if (e.type === 'call' && e.op === 'detach') {
        const key = `${e.args.device}:${e.args.pasid}`;
        tornDown(jobAt.get(key));
        jobAt.delete(key);
      }
    });
    return () => n;
  },
};

/** iommufd REPLACEs of a device's PASID while its background DMA job had landed accesses: the moments a gap in the swap shows. */
const replacesWithDmaLanding: WorkMeter = {
  what: 'REPLACEs with DMA landing',
  attach(sim) {
    const landed = (job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
    const jobAt = new Map<string, number>(); // device:pasid -> its background DMA job
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'dma_start' && e.result.ok) jobAt.set(`${e.args.device}:${e.args.ioasid}`, e.result.value);
      else if (e.type === 'call' && e.op === 'replace') {
        const job = jobAt.get(`${e.args.device}:${e.args.pasid}`);
        if (job !== undefined && landed(job) > 0) n++;
      }
    });
    return () => n;
  },
};

/** DESTROYs of an IOASID while KVM mapped a vPASID to it (the moment a missing KVM kref frees it too early). */
const destroysWhileKvmMaps: WorkMeter = {
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
const unmapsWithDmaLanding: WorkMeter = {
  what: 'UNMAPs and process exits with DMA landing',
  attach(sim) {
    const landed = (job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
    // The DMA of an IOASID runs at (device, PASID): its own PASID (ALLOW) or the VMM's (iommufd ATTACH).
    const userOf = new Map<number, string>(); // ioasid -> device:pasid, until its teardown
    const jobAt = new Map<string, number>(); // device:pasid -> its background DMA job
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'dma_start' && e.result.ok) jobAt.set(`${e.args.device}:${e.args.ioasid}`, e.result.value);
      else if (e.type === 'reply' && e.op === 'allow' && e.result.ok) userOf.set(e.args.ioasid, `${e.args.device}:${e.args.ioasid}`);
      else if (e.type === 'reply' && e.op === 'attach' && e.result.ok) userOf.set(e.args.hwpt, `${e.args.device}:${e.args.pasid}`);
      else if (e.type === 'call' && (e.op === 'disallow' || e.op === 'destroy')) userOf.delete(e.args.ioasid);
      else if (e.type === 'call' && e.op === 'detach') jobAt.delete(`${e.args.device}:${e.args.pasid}`);
      else if (e.type === 'call' && (e.op === 'unmap' || e.op === 'mm_exit')) {
        const user = userOf.get(e.args.ioasid);
        const job = user === undefined ? undefined : jobAt.get(user);
        if (job !== undefined && landed(job) > 0) n++;
      }
    });
    return () => n;
  },
};

/** PASID-entry teardowns that began with page requests of that (device, PASID) pending (coverage). */
const teardownsWithPageRequests: WorkMeter = {
  what: 'teardowns with page requests pending',
  attach: (sim) => () => sim.coverage().teardownsWithPageRequests,
};

/** Page responses that came after a teardown (or the device) had let go of their group (coverage). */
const lateResponses: WorkMeter = {
  what: 'responses after their group was answered',
  attach: (sim) => () => sim.coverage().lateResponses,
};

/** DISALLOW or DESTROY calls that began while another of the same IOASID was in progress (teardowns racing on one IOASID). */
const racingTeardowns: WorkMeter = {
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
const viommuUnbinds: WorkMeter = {
  what: 'vIOMMU unbinds',
  attach(sim) {
    let n = 0;
    sim.events$.subscribe((e) => {
      if (e.type === 'reply' && e.op === 'viommu_unbind' && e.result.ok) n++;
    });
    return () => n;
  },
};

/** The meters by the names the must-catch table gives them: a name without its meter does not compile. */
export const WORK_METERS: { readonly [K in MeterName]: WorkMeter } = {
  teardownsWithDmaLanding,
  destroysWhileKvmMaps,
  unmapsWithDmaLanding,
  teardownsWithPageRequests,
  racingTeardowns,
  viommuUnbinds,
  replacesWithDmaLanding,
  lateResponses,
};
