// The shapes of the simulated hardware's shared memory. Every SharedArrayBuffer is created here
// and every offset is named here; hardware/ is the only code that reads or writes them.

export interface HardwareShape {
  /** PASIDs are 1 .. 2^pasidBits - 1; 0 is reserved. */
  readonly pasidBits: number;
  /** VM index of each device (devices are numbered 0..n-1). */
  readonly deviceVm: readonly number[];
  /** Memory pages owned by each VM. */
  readonly vmPages: readonly number[];
  /** DMA/ENQCMD engine threads. */
  readonly engines: number;
  /** Leaf PASID tables (64 entries each) shared by all devices' PASID directories. */
  readonly pasidLeaves: number;
  /** IO page tables that may exist at once. */
  readonly pgtables: number;
  /** VM index of each vCPU (vCPUs are numbered 0..n-1, VM by VM): the ENQCMD path. */
  readonly vcpuVm: readonly number[];
  /** IOMMU units, each with its own invalidation queue (default 1). */
  readonly units?: number;
  /** Devices with ATS enabled: they cache translations in a device TLB (default none). */
  readonly deviceAts?: readonly boolean[];
  /** IOMMU unit of each device (default 0): where its page requests queue. */
  readonly deviceUnit?: readonly number[];
  /** Devices with PRI: an access to a non-present IOVA stalls on a page request (default none). */
  readonly devicePri?: readonly boolean[];
}

export const PASID_PDE_SHIFT = 6; // VT-d: 64 entries per PASID table, directory indexed by bits 19:6
export const LEAF_ENTRIES = 1 << PASID_PDE_SHIFT;
export const PT_MAX_PAGES = 64; // most pages one IO page table maps
export const IOTLB_ENTRIES = 256; // per engine, direct mapped; the device TLBs of ATS devices have as many
export const PASID_CACHE_ENTRIES = 64; // per engine, direct mapped
export const INV_QUEUE = 256; // descriptors per IOMMU unit's queue
const UNITS_MAX = 64;
export const JOBS = 256;
export const ANOMALY_CAP = 4096;
export const SWQ_DEPTH = 16; // shared work queue slots per device (a power of two)
export const SWQ_WORK_SLOTS = 4; // descriptors a device executes at once; the rest wait in its queue
export const PRQ_DEPTH = 8; // page-request slots per IOMMU unit's queue; a request finding none is auto-answered
export const KVM_VPASIDS = 1 << 12; // vPASIDs a VM may map (bits 11:0); larger vPASIDs are EINVAL
export const ASPACE_PASIDS = 1 << 12; // PASIDs whose address space the auditor's IOVA witness covers (PASIDs are handed out lowest first)

// Control words (Int32). Each engine's words live in its own 64-byte line to avoid false sharing.
export const CTRL = {
  STOP: 1, // engines leave their loop when set
  DOORBELL: 2, // bumped on every job change or invalidation; idle engines wait on it
  ANOMALY_HEAD: 3,
  ANOMALY_DROPPED: 4,
  FAILED: 5, // an engine crashed
  STEP: 6, // the sequence step the main thread is running, plus 1 (0: none); stamped on anomalies
  ENGINE_BASE: 16,
  ENGINE_STRIDE: 16,
} as const;
export const ENG = {
  RUNNING: 0, // set as the engine enters its loop (a worker thread takes a while to start); cleared as it leaves
  STARTED: 2,
  RETIRED: 3, // set when the engine left its loop: the queues it consumed will not move again
  IDLE: 4, // set while the engine sleeps on the doorbell: a submitter to an empty queue wakes it
} as const;

// Jobs (Int32, 16 words each = one cache line, written by one engine).
export const JOB_STRIDE = 16;
export const J = {
  STATE: 0, // JobState
  ENGINE: 1,
  DEVICE: 2,
  PASID: 3,
  BUDGET: 4, // ops left; -1 = until stopped
  ISSUED: 5, // sequence number of the last batch that entered flight (raised before translating)
  KIND: 6, // JobKind
  SEED: 7,
  SPAN: 8, // IOVA pages the job addresses
  DRAIN: 9, // set while a teardown waits on OLDEST
  VCPU: 10, // ENQCMD jobs: submitting vCPU
  RETRIES: 11, // ENQCMD: retry bound
  OLDEST: 12, // sequence number of the oldest batch still in flight; NONE_IN_FLIGHT when none
  MIN_LANDED: 13, // DMA jobs: accesses that must land before a stop is answered (0: none)
  PRQ: 14, // PRI devices: page-request slot + 1 the job is stalled on (0: none)
  GROUP: 15, // PRI devices: the job's next page-request group index
} as const;
export const NONE_IN_FLIGHT = 0x7fffffff;
export const JobState = { FREE: 0, ACTIVE: 1, STOPPING: 2, DONE: 3 } as const;
export const JobKind = { DMA: 0, ENQCMD: 1 } as const;
// Float64 job counters. ENQCMD: ACCEPTED descriptors queued, RETRIED ZF=1 answers, GP every #GP
// the guest took (IA32_PASID invalid, or injected by KVM for a VM exit), EXITS the exits among them.
export const JC_STRIDE = 8;
export const JC = { LANDED: 0, FAULTED: 1, ACCEPTED: 2, RETRIED: 3, GP: 4, EXITS: 5 } as const;

// PASID entry in a leaf table (Int32 x4): fields first, valid last (VT-d: P is set after the rest).
// GEN is the entry's version: bumped by every change, never reset (hardware/pasid-table.ts).
export const PE_STRIDE = 4;
// GEN: the entry's version, bumped by every change (the PASID cache's staleness); EPOCH: the
// install's number (which incarnation of the entry a page request belongs to).
export const PE = { VALID: 0, PGTABLE: 1, GEN: 2, EPOCH: 3 } as const;

// IO page table: header then, per IOVA page, (phys page + 1, page generation): a PTE whose first
// word is 0 is not present. Mapped: generation first, then the present word; unmapped: the present
// word is cleared (the generation stays, unread).
export const PT_STRIDE = 4 + PT_MAX_PAGES * 2;
export const PT = { VM: 1, ENTRIES: 4 } as const;

// Memory page: owner VM + 1 (0 = none), generation (bumped on free), data.
export const PG_STRIDE = 4;
export const PG = { OWNER: 0, GEN: 1, DATA: 2 } as const;

// IOTLB entry: device + 1 (0 = empty), pasid, iova page, phys page, page generation. A device
// TLB entry (ATS) has the same shape.
export const TLB_STRIDE = 8;
export const TLB = { DEV: 0, PASID: 1, IOVA: 2, PHYS: 3, GEN: 4 } as const;

// PASID-cache entry: device + 1 (0 = empty), pasid, the walk's result + 2 (1: present, no page
// table; n + 2: page table n), the entry version it was read at. Only present entries are cached.
export const PC_STRIDE = 4;
export const PC = { DEV: 0, PASID: 1, WALK: 2, GEN: 3 } as const;

// Invalidation queues, one per IOMMU unit: descriptors (Int32 x8) of a KIND, for a device and a
// PASID (-1: every PASID) and, for IOTLB and device-TLB ones, an IOVA range (NPAGES 0: all).
// invCtrl: each unit's TAIL (descriptors posted so far) in the first line, then one line per
// engine with its ACK for each unit.
export const INV_STRIDE = 8;
export const INV = { KIND: 0, DEV: 1, PASID: 2, IOVA: 3, NPAGES: 4 } as const;
export const InvKind = { IOTLB: 1, DEVTLB: 2, PASID_CACHE: 3 } as const;
export type InvKindValue = (typeof InvKind)[keyof typeof InvKind];
export const invTailWord = (unit: number) => unit;
export const invAckWord = (engine: number, unit: number) => UNITS_MAX * (1 + engine) + unit;

// Anomaly record written by an engine when something it did should never have happened; STEP is
// CTRL.STEP when it happened, so the auditor names the step during which the access landed.
export const AN_STRIDE = 9;
export const AN = { KIND: 0, ENGINE: 1, DEVICE: 2, PASID: 3, PAGE: 4, SEEN: 5, EXPECTED: 6, STEP: 7, READY: 8 } as const;
export const Anomaly = {
  STALE_PAGE: 1, // an access landed in a page whose generation moved on (freed since translation)
  FOREIGN_PAGE: 2, // an access landed in memory of a VM other than the device's
  UNAUTHORISED: 3, // an access landed through a (device, PASID) the auditor had never authorised
  ENQ_UNMAPPED: 4, // an ENQCMD with no KVM translation reached a work queue
  ENQ_FOREIGN: 5, // an ENQCMD descriptor carried a pPASID the auditor had not authorised for its VM
  REVOKED: 6, // an access landed through a (device, PASID) whose authorisation the auditor had revoked
  STALE_PASID_ENTRY: 7, // a translation used a cached PASID entry older than one a uAPI call had replaced and returned
  FOREIGN_IOVA: 8, // an access translated an IOVA page its IOASID's address space does not map, as the auditor saw MAP and UNMAP
  ENTRY_GAP: 9, // an access found no present PASID entry for a (device, PASID) the auditor saw attached (iommufd)
  STALE_RESPONSE: 10, // a page response meant for a group of an earlier incarnation of the PASID reached a device's request
} as const;
export type AnomalyKind = (typeof Anomaly)[keyof typeof Anomaly];

// Engine counters (Float64, 24 per engine = three lines), the job counters' sums plus BATCHES landed
// and CONSUMED descriptors taken from work queues; words 8.. count anomalies by kind.
export const EC_STRIDE = 24;
export const EC = { LANDED: 0, FAULTED: 1, BATCHES: 2, ACCEPTED: 3, RETRIED: 4, GP: 5, EXITS: 6, CONSUMED: 7, ANOMALY_BASE: 8 } as const;

// The auditor's view of each IOASID's address space (ioasid design, PASIDs below ASPACE_PASIDS):
// TRACKED (0: no view, nothing checked) and a bitmap of the IOVA pages it may map (PT_MAX_PAGES bits).
export const ASW_STRIDE = 4;
export const ASW = { TRACKED: 0, BITS: 1 } as const;

// KVM: per VM, vPASID -> (valid, pPASID), the VMCS PASID-translation table. Published pPASID
// first, valid last; torn down valid first.
export const KVM_STRIDE = 2;
export const KE = { VALID: 0, PPASID: 1 } as const;
// The auditor's view of each KVM translation (witness): how many authorisations are outstanding
// (a mapping it saw succeed plus KVM_SET_PASID calls in progress), and the one pPASID they name
// (-1 when they name several, 0 when none).
export const KW_STRIDE = 2;
export const KW = { MAPPED: 0, PPASID: 1 } as const;
// Per vCPU (one line each): IA32_PASID MSR; BUSY, odd while the vCPU is mid-submission (bumped
// before the translation read and after the descriptor is queued); WAIT, KVM_CLEAR_PASID waiters
// on BUSY; the VM; counters of in-guest #GPs and of VM exits 72, with the vPASID of the last exit.
export const VC_STRIDE = 16;
export const VC = { MSR: 0, BUSY: 1, VM: 2, WAIT: 3, GP: 4, EXITS: 5, EXIT_VPASID: 6 } as const;
export const MSR_PASID_VALID = 0x80000000 | 0;
export const MSR_PASID_MASK = 0xfffff; // IA32_PASID bits 19:0

// Shared work queue per device: a bounded multi-producer ring (each slot's SEQ word says whose
// turn it is), one consumer. HEAD: next position the device takes; TAIL: next position a
// submitter reserves; DONE: every descriptor before it has finished (landed or faulted);
// DRAIN: teardowns waiting on DONE. Descriptors: (SEQ, pPASID, IOVA), one 16-byte slot each.
export const SWQ_DESC_STRIDE = 4;
export const SWQ_STRIDE = 16 + SWQ_DEPTH * SWQ_DESC_STRIDE;
export const SWQ = { HEAD: 0, TAIL: 1, DONE: 2, DRAIN: 3, DESC: 16 } as const;
export const SD = { SEQ: 0, PASID: 1, IOVA: 2 } as const;

// Page-request queue per IOMMU unit (VT-d PRQ): PRQ_DEPTH slots of (STATE, device, PASID, IOVA
// page, group index, FLAGS, response CODE, TAG, EPOCH, RESP_EPOCH). An engine claims a FREE slot (CAS), writes the
// fields and publishes it QUEUED; the handler takes it (TAKEN) and answers (ANSWERED, CODE set
// first); the engine reads the answer and frees the slot. TAG is bumped on every claim, so an
// answer names the incarnation of the slot it answers. EPOCH is the PASID entry's install epoch
// when the group was posted (PE.EPOCH: which incarnation of the PASID it belongs to), RESP_EPOCH
// the epoch of the group a response was meant for: the device sees both. A group of several pages
// takes a slot per page, all at once or none (else the unit answers it); the last one is flagged
// LAST and the others (its parts) name it by LEAD (its slot + 1) and LEAD_TAG (its tag): the
// handler takes a group by its last slot, and the answer, written there, frees the parts. A job that ends while stalled frees its
// slot, or leaves it ORPHAN while still queued, for the handler to discard. The unit's counters follow the slots: groups queued,
// overflows (too few free slots: the unit answered the group itself with success, the device
// retries), and groups of more than one page.
export const PRQ_STRIDE = 12;
export const PRQ = { STATE: 0, DEV: 1, PASID: 2, IOVA: 3, GROUP: 4, FLAGS: 5, CODE: 6, TAG: 7, EPOCH: 8, RESP_EPOCH: 9, LEAD: 10, LEAD_TAG: 11 } as const;
/** The most pages one page-request group asks for (a stalled access over several pages). */
export const PRQ_GROUP_PAGES = 3;
export const PrqState = { FREE: 0, CLAIMED: 1, QUEUED: 2, TAKEN: 3, ANSWERED: 4, ORPHAN: 5 } as const;
export const PrqFlag = { LAST: 1, WRITE: 2 } as const;
export const PrqCode = { SUCCESS: 0, INVALID: 1 } as const;
export type PrqCodeValue = (typeof PrqCode)[keyof typeof PrqCode];
export const PRQ_UNIT_STRIDE = 8 + PRQ_DEPTH * PRQ_STRIDE;
export const PRQC = { REQUESTS: 0, OVERFLOWS: 1, MULTI_PAGE: 2, SLOTS: 8 } as const;

// Coverage (Float64, written by the main thread only): what the run raced, counted where it
// happened. PASID-entry teardowns (DISALLOW, DESTROY, close, close_device) begun, and those that
// began while DMA batches or ENQCMD descriptors of that (device, PASID) were in flight; the same
// for KVM_CLEAR_PASID (descriptors or vCPU submissions through the translation); UNMAPs that
// cleared PTEs, and those that began while DMA of a device using the IOASID was in flight;
// teardown calls that began while another teardown call of the same IOASID was in progress.
export const COV = {
  TEARDOWNS: 0,
  TEARDOWNS_DMA: 1,
  TEARDOWNS_ENQCMD: 2,
  KVM_CLEARS: 3,
  KVM_CLEARS_ENQCMD: 4,
  UNMAPS: 5,
  UNMAPS_DMA: 6,
  TEARDOWN_RACES: 7,
  PAGE_RESPONSES: 8, // page requests answered by a handler (success or invalid)
  TEARDOWNS_PRQ: 9, // PASID-entry teardowns that began with page requests of that (device, PASID) pending
  LATE_RESPONSES: 10, // responses that found their group answered already (by a teardown's drain): dropped
  GUEST_RESPONSES: 11, // page requests a guest's vIOMMU answered (its fault queue's FAULT_RESPOND)
} as const;
const COV_WORDS = 16;

/** The SharedArrayBuffers: what crosses to a worker thread. */
export interface HardwareBuffers {
  readonly shape: HardwareShape;
  readonly ctrl: SharedArrayBuffer;
  readonly memory: SharedArrayBuffer;
  readonly pasidDir: SharedArrayBuffer;
  readonly pasidLeaves: SharedArrayBuffer;
  readonly pgtables: SharedArrayBuffer;
  readonly deviceVm: SharedArrayBuffer;
  readonly iotlb: SharedArrayBuffer;
  readonly devtlb: SharedArrayBuffer;
  readonly pasidCache: SharedArrayBuffer;
  readonly deviceAts: SharedArrayBuffer;
  readonly invQueue: SharedArrayBuffer;
  readonly invCtrl: SharedArrayBuffer;
  readonly jobs: SharedArrayBuffer;
  readonly jobCounts: SharedArrayBuffer;
  readonly engineCounts: SharedArrayBuffer;
  readonly anomalies: SharedArrayBuffer;
  readonly authorised: SharedArrayBuffer;
  readonly pasidFloor: SharedArrayBuffer;
  readonly aspaceWitness: SharedArrayBuffer;
  readonly kvm: SharedArrayBuffer;
  readonly kvmWitness: SharedArrayBuffer;
  readonly vcpus: SharedArrayBuffer;
  readonly swq: SharedArrayBuffer;
  readonly coverage: SharedArrayBuffer;
  readonly deviceUnit: SharedArrayBuffer;
  readonly devicePri: SharedArrayBuffer;
  readonly prq: SharedArrayBuffer;
}

/** Typed views over the buffers, the same on the main thread and in workers. */
export interface Hardware {
  readonly shape: HardwareShape;
  readonly buffers: HardwareBuffers;
  readonly pasidMax: number; // exclusive
  readonly dirEntries: number; // per device
  readonly totalPages: number;
  readonly vmPageBase: readonly number[];
  readonly ctrl: Int32Array;
  readonly memory: Int32Array;
  readonly pasidDir: Int32Array;
  readonly pasidLeaves: Int32Array;
  readonly pgtables: Int32Array;
  readonly deviceVm: Int32Array;
  readonly iotlb: Int32Array;
  readonly devtlb: Int32Array;
  readonly pasidCache: Int32Array;
  readonly deviceAts: Uint8Array;
  readonly invQueue: Int32Array;
  readonly invCtrl: Int32Array;
  readonly units: number;
  readonly jobs: Int32Array;
  readonly jobCounts: Float64Array;
  readonly engineCounts: Float64Array;
  readonly anomalies: Int32Array;
  readonly authorised: Uint8Array;
  /** The auditor's witness, per PASID-entry slot: the oldest entry version a translation may still use (hardware/witness.ts). */
  readonly pasidFloor: Int32Array;
  /** The auditor's witness of which IOVA pages each IOASID's address space may map (hardware/witness.ts). */
  readonly aspaceWitness: Int32Array;
  readonly kvm: Int32Array;
  readonly kvmWitness: Int32Array;
  readonly vcpus: Int32Array;
  readonly swq: Int32Array;
  readonly coverage: Float64Array;
  readonly deviceUnit: Int32Array;
  readonly devicePri: Uint8Array;
  readonly prq: Int32Array;
}

const i32 = (n: number) => new SharedArrayBuffer(Math.max(1, n) * 4);
const f64 = (n: number) => new SharedArrayBuffer(Math.max(1, n) * 8);

export function validateShape(s: HardwareShape): string | null {
  if (!Number.isInteger(s.pasidBits) || s.pasidBits < 1 || s.pasidBits > 20) return `pasidBits must be an integer in 1..20 (got ${s.pasidBits})`;
  if (!Number.isInteger(s.engines) || s.engines < 1 || s.engines > 64) return `workers must be an integer in 1..64 (got ${s.engines})`;
  const units = s.units ?? 1;
  if (!Number.isInteger(units) || units < 1 || units > UNITS_MAX) return `iommus must be an integer in 1..${UNITS_MAX} (got ${units})`;
  return null;
}

export function createHardware(shape: HardwareShape): Hardware {
  const pasidMax = 1 << shape.pasidBits;
  const dirEntries = Math.max(1, pasidMax >> PASID_PDE_SHIFT);
  const totalPages = shape.vmPages.reduce((a, b) => a + b, 0);
  const devices = shape.deviceVm.length;
  const buffers: HardwareBuffers = {
    shape,
    ctrl: i32(CTRL.ENGINE_BASE + CTRL.ENGINE_STRIDE * shape.engines),
    memory: i32(totalPages * PG_STRIDE),
    pasidDir: i32(devices * dirEntries),
    pasidLeaves: i32(shape.pasidLeaves * LEAF_ENTRIES * PE_STRIDE),
    pgtables: i32(shape.pgtables * PT_STRIDE),
    deviceVm: i32(devices),
    iotlb: i32(shape.engines * IOTLB_ENTRIES * TLB_STRIDE),
    devtlb: i32(shape.engines * IOTLB_ENTRIES * TLB_STRIDE),
    pasidCache: i32(shape.engines * PASID_CACHE_ENTRIES * PC_STRIDE),
    deviceAts: new SharedArrayBuffer(Math.max(1, devices)),
    invQueue: i32((shape.units ?? 1) * INV_QUEUE * INV_STRIDE),
    invCtrl: i32(UNITS_MAX * (1 + shape.engines)),
    jobs: i32(JOBS * JOB_STRIDE),
    jobCounts: f64(JOBS * JC_STRIDE),
    engineCounts: f64(shape.engines * EC_STRIDE),
    anomalies: i32(ANOMALY_CAP * AN_STRIDE),
    authorised: new SharedArrayBuffer(Math.max(1, devices * pasidMax)),
    pasidFloor: i32(shape.pasidLeaves * LEAF_ENTRIES),
    aspaceWitness: i32(ASPACE_PASIDS * ASW_STRIDE),
    kvm: i32(shape.vmPages.length * KVM_VPASIDS * KVM_STRIDE),
    kvmWitness: i32(shape.vmPages.length * KVM_VPASIDS * KW_STRIDE),
    vcpus: i32(shape.vcpuVm.length * VC_STRIDE),
    swq: i32(devices * SWQ_STRIDE),
    coverage: f64(COV_WORDS),
    deviceUnit: i32(devices),
    devicePri: new SharedArrayBuffer(Math.max(1, devices)),
    prq: i32((shape.units ?? 1) * PRQ_UNIT_STRIDE),
  };
  const hw = attachHardware(buffers);
  shape.deviceVm.forEach((vm, d) => {
    hw.deviceVm[d] = vm;
    hw.deviceAts[d] = shape.deviceAts?.[d] ? 1 : 0;
    hw.deviceUnit[d] = shape.deviceUnit?.[d] ?? 0;
    hw.devicePri[d] = shape.devicePri?.[d] ? 1 : 0;
  });
  shape.vcpuVm.forEach((vm, c) => {
    hw.vcpus[c * VC_STRIDE + VC.VM] = vm;
  });
  // Each queue slot starts as its own position: free for the submitter that reserves it.
  for (let d = 0; d < devices; d++) {
    for (let i = 0; i < SWQ_DEPTH; i++) hw.swq[d * SWQ_STRIDE + SWQ.DESC + i * SWQ_DESC_STRIDE + SD.SEQ] = i;
  }
  let page = 0;
  shape.vmPages.forEach((n, vm) => {
    for (let i = 0; i < n; i++, page++) hw.memory[page * PG_STRIDE + PG.OWNER] = vm + 1;
  });
  return hw;
}

export function attachHardware(buffers: HardwareBuffers): Hardware {
  const shape = buffers.shape;
  const pasidMax = 1 << shape.pasidBits;
  const vmPageBase: number[] = [];
  let base = 0;
  for (const n of shape.vmPages) {
    vmPageBase.push(base);
    base += n;
  }
  return {
    shape,
    buffers,
    pasidMax,
    dirEntries: Math.max(1, pasidMax >> PASID_PDE_SHIFT),
    totalPages: base,
    vmPageBase,
    ctrl: new Int32Array(buffers.ctrl),
    memory: new Int32Array(buffers.memory),
    pasidDir: new Int32Array(buffers.pasidDir),
    pasidLeaves: new Int32Array(buffers.pasidLeaves),
    pgtables: new Int32Array(buffers.pgtables),
    // Exactly one word per device: a buffer is never empty, and a machine may have no devices.
    deviceVm: new Int32Array(buffers.deviceVm, 0, buffers.shape.deviceVm.length),
    iotlb: new Int32Array(buffers.iotlb),
    devtlb: new Int32Array(buffers.devtlb),
    pasidCache: new Int32Array(buffers.pasidCache),
    deviceAts: new Uint8Array(buffers.deviceAts),
    invQueue: new Int32Array(buffers.invQueue),
    invCtrl: new Int32Array(buffers.invCtrl),
    units: shape.units ?? 1,
    jobs: new Int32Array(buffers.jobs),
    jobCounts: new Float64Array(buffers.jobCounts),
    engineCounts: new Float64Array(buffers.engineCounts),
    anomalies: new Int32Array(buffers.anomalies),
    authorised: new Uint8Array(buffers.authorised),
    pasidFloor: new Int32Array(buffers.pasidFloor),
    aspaceWitness: new Int32Array(buffers.aspaceWitness),
    kvm: new Int32Array(buffers.kvm),
    kvmWitness: new Int32Array(buffers.kvmWitness),
    vcpus: new Int32Array(buffers.vcpus),
    swq: new Int32Array(buffers.swq),
    coverage: new Float64Array(buffers.coverage),
    deviceUnit: new Int32Array(buffers.deviceUnit),
    devicePri: new Uint8Array(buffers.devicePri),
    prq: new Int32Array(buffers.prq),
  };
}

export const engineWord = (engine: number, word: number) => CTRL.ENGINE_BASE + engine * CTRL.ENGINE_STRIDE + word;
