// DMA safety family: turns what the engines saw land (anomaly records) into violations of
// use-after-free, isolation, dma-after-teardown and stale-pasid-cache, each at the step during which it happened
// (stamped on the record by the engine), and naming devices, VMs and vCPUs as the user did.
import { type AnomalyRecord, anomalyCount, readAnomalies } from '../hardware/anomalies.js';
import { Anomaly, type AnomalyKind, type Hardware } from '../hardware/layout.js';
import type { MachineNames } from './names.js';
import type { InvariantId, Violation } from './catalog.js';

/** The invariant each kind of anomaly breaks: what an engine counted but did not record counts as that. */
const BREAKS: Readonly<Record<AnomalyKind, InvariantId>> = {
  [Anomaly.STALE_PAGE]: 'use-after-free',
  [Anomaly.FOREIGN_PAGE]: 'isolation',
  [Anomaly.UNAUTHORISED]: 'isolation',
  [Anomaly.REVOKED]: 'dma-after-teardown',
  [Anomaly.ENQ_UNMAPPED]: 'enqcmd-unmapped',
  [Anomaly.ENQ_FOREIGN]: 'pasid-reuse',
  [Anomaly.STALE_PASID_ENTRY]: 'stale-pasid-cache',
  [Anomaly.FOREIGN_IOVA]: 'ioasid-isolation',
  [Anomaly.ENTRY_GAP]: 'entry-gap',
  [Anomaly.STALE_RESPONSE]: 'page-response',
};

export class DmaAuditor {
  private next = 0;
  /** Records read so far, by kind. */
  private readonly read = new Map<AnomalyKind, number>();

  constructor(
    private readonly hw: Hardware,
    private readonly names: MachineNames,
  ) {}

  poll(): Violation[] {
    const { records, next } = readAnomalies(this.hw, this.next);
    this.next = next;
    for (const r of records) this.read.set(r.kind, (this.read.get(r.kind) ?? 0) + 1);
    return records.map((r) => this.judge(r)).filter((v): v is Violation => v !== null);
  }

  /**
   * Engines keep only the first few records of each kind (and the log has a bound); they count
   * every anomaly. Per invariant: how many more the engines counted than the auditor read, so the
   * report's counts are all of them. Read once the engines have stopped.
   */
  unrecorded(): Map<InvariantId, number> {
    const more = new Map<InvariantId, number>();
    for (const [k, invariant] of Object.entries(BREAKS)) {
      const kind = Number(k) as AnomalyKind;
      const n = anomalyCount(this.hw, kind) - (this.read.get(kind) ?? 0);
      if (n > 0) more.set(invariant, (more.get(invariant) ?? 0) + n);
    }
    return more;
  }

  private judge(r: AnomalyRecord): Violation | null {
    const { step } = r;
    const dev = this.names.device[r.device];
    const vm = (v: number) => this.names.vm[v] ?? 'no VM';
    const invariant = BREAKS[r.kind];
    switch (r.kind) {
      case Anomaly.STALE_PAGE:
        return {
          invariant,
          detail: `${dev} accessed page ${r.page} through PASID ${r.pasid} after it was freed (translated at generation ${r.expected}, page now at ${r.seen})`,
          step,
        };
      case Anomaly.FOREIGN_PAGE:
        return { invariant, detail: `${dev} (of ${vm(r.expected)}) accessed page ${r.page} of ${vm(r.seen)} through PASID ${r.pasid}`, step };
      case Anomaly.REVOKED:
        return { invariant, detail: `DMA from ${dev} landed through PASID ${r.pasid} after DISALLOW/DESTROY of it returned`, step };
      case Anomaly.UNAUTHORISED:
        return { invariant, detail: `DMA from ${dev} landed through PASID ${r.pasid}, which it was never allowed`, step };
      case Anomaly.ENTRY_GAP:
        return {
          invariant,
          detail: `DMA from ${dev} through PASID ${r.pasid} found no present PASID entry while it was attached (ATTACH returned, no DETACH)`,
          step,
        };
      case Anomaly.ENQ_UNMAPPED:
        return {
          invariant,
          detail: `an ENQCMD from vCPU ${r.engine >= 0 ? this.names.vcpu[r.page] : '?'} with vPASID ${r.seen} and no KVM translation reached the work queue of ${dev}`,
          step,
        };
      case Anomaly.ENQ_FOREIGN:
        return {
          invariant,
          detail: `an ENQCMD for vPASID ${r.seen} reached ${dev} with pPASID ${r.pasid}, a stale translation (KVM's current: ${r.expected})`,
          step,
        };
      case Anomaly.STALE_PASID_ENTRY:
        return {
          invariant,
          detail: `${dev} translated through a cached PASID ${r.pasid} entry of version ${r.seen}, after a call that changed the entry to version ${r.expected} had returned`,
          step,
        };
      case Anomaly.FOREIGN_IOVA:
        return {
          invariant,
          detail: `${dev} reached page ${r.page} through PASID ${r.pasid} at IOVA page ${r.seen}, which IOASID ${r.pasid}'s address space does not map (no MAP of it called, or its UNMAP returned)`,
          step,
        };
      case Anomaly.STALE_RESPONSE:
        return {
          invariant,
          detail: `a page response meant for a group ${dev} queued through an earlier incarnation of PASID ${r.pasid} (entry epoch ${r.seen}) answered its request of the current one (epoch ${r.expected})`,
          step,
        };
      default:
        return null;
    }
  }
}
