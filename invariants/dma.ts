// DMA safety family: turns what the engines saw land (anomaly records) into violations of
// use-after-free, isolation and dma-after-teardown, each at the step during which it happened
// (stamped on the record by the engine), and naming devices, VMs and vCPUs as the user did.
import { type AnomalyRecord, readAnomalies } from '../hardware/anomalies.js';
import { Anomaly, type Hardware } from '../hardware/layout.js';
import type { MachineNames } from './names.js';
import type { Violation } from './catalog.js';

export class DmaAuditor {
  private next = 0;
  /** (device, pasid) pairs the auditor ever authorised: landing there later is after teardown. */
  readonly everAuthorised = new Set<string>();

  constructor(
    private readonly hw: Hardware,
    private readonly names: MachineNames,
  ) {}

  poll(): Violation[] {
    const { records, next } = readAnomalies(this.hw, this.next);
    this.next = next;
    return records.map((r) => this.judge(r)).filter((v): v is Violation => v !== null);
  }

  private judge(r: AnomalyRecord): Violation | null {
    const { step } = r;
    const dev = this.names.device[r.device];
    const vm = (v: number) => this.names.vm[v] ?? 'no VM';
    switch (r.kind) {
      case Anomaly.STALE_PAGE:
        return {
          invariant: 'use-after-free',
          detail: `${dev} accessed page ${r.page} through PASID ${r.pasid} after it was freed (translated at generation ${r.expected}, page now at ${r.seen})`,
          step,
        };
      case Anomaly.FOREIGN_PAGE:
        return { invariant: 'isolation', detail: `${dev} (of ${vm(r.expected)}) accessed page ${r.page} of ${vm(r.seen)} through PASID ${r.pasid}`, step };
      case Anomaly.UNAUTHORISED:
        return this.everAuthorised.has(`${r.device}:${r.pasid}`)
          ? { invariant: 'dma-after-teardown', detail: `DMA from ${dev} landed through PASID ${r.pasid} after DISALLOW/DESTROY of it returned`, step }
          : { invariant: 'isolation', detail: `DMA from ${dev} landed through PASID ${r.pasid}, which it was never allowed`, step };
      case Anomaly.ENQ_UNMAPPED:
        return {
          invariant: 'enqcmd-unmapped',
          detail: `an ENQCMD from vCPU ${r.engine >= 0 ? this.names.vcpu[r.page] : '?'} with vPASID ${r.seen} and no KVM translation reached the work queue of ${dev}`,
          step,
        };
      case Anomaly.ENQ_FOREIGN:
        return {
          invariant: 'pasid-reuse',
          detail: `an ENQCMD for vPASID ${r.seen} reached ${dev} with pPASID ${r.pasid}, a stale translation (KVM's current: ${r.expected})`,
          step,
        };
      default:
        return null;
    }
  }
}
