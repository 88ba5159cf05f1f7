// The typed events a simulation publishes (on an rxjs Subject) to the monitor, the CLI's
// reports, traces and diagrams, and embedders. Per-access DMA events are never published:
// workers publish aggregates (see docs/model.md#costs-that-shaped-the-messaging).
import type { OpArgs, OpName, OpValue } from './protocol.js';
import type { Result } from './result.js';

export type PasidState = 'free' | 'in-use' | 'parked';

/** Who made a call other than the machine's user: a vIOMMU, for the guest request it serves. */
export type CallVia = 'viommu';
/** A uAPI call as it starts, one variant per op, so a consumer narrows `args` by `op`. */
export type CallEvent = { [K in OpName]: { type: 'call'; id: number; op: K; args: OpArgs<K>; via?: CallVia; t: number } }[OpName];
/** A uAPI call as it answers, with the arguments it was called with. */
export type ReplyEvent = {
  [K in OpName]: { type: 'reply'; id: number; op: K; args: OpArgs<K>; result: Result<OpValue<K>>; via?: CallVia; t: number };
}[OpName];

export type SimEvent =
  | CallEvent
  | ReplyEvent
  | { type: 'message'; from: string; to: string; kind: string; t: number; reply?: boolean }
  | { type: 'pasid'; pasid: number; state: PasidState; vm: number; t: number }
  | { type: 'kref'; pasid: number; holder: string; count: number; t: number }
  /** The kernel's page-fault handler maps IOVA page `iova` of IOASID `pasid` (not a uAPI call): as it begins, and once it mapped it or failed. */
  | { type: 'fault-map'; id: number; pasid: number; iova: number; phase: 'begin' | 'mapped' | 'failed'; t: number }
  /** `count` #GPs the guest took on `vcpu` since the last such event (ENQCMD outcomes are aggregated). */
  | { type: 'gp'; vcpu: string; vpasid: number; reason: 'msr-invalid' | 'unmapped'; count: number; t: number }
  | { type: 'stats'; dma: number; dmaFaults: number; enqcmd: number; retries: number; gp: number; t: number }
  | { type: 'violation'; invariant: string; detail: string; step: number | null; t: number }
  | { type: 'step'; index: number; op: string; result: string; value: unknown; t: number };

export type SimEventType = SimEvent['type'];
