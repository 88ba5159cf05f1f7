// The anomaly log: what an engine saw happen that the auditor must judge (an access landing in
// a page freed since its translation, in another VM's memory, or through a (device, PASID) the
// auditor had not authorised). Engines append; the auditor reads. Per engine and kind only the
// first few records are kept (the rest are counted), so a broken model cannot flood the log.
// Each record carries the sequence step the main thread was running when it happened: DMA of a
// background job lands during later steps, and the step that matters is the one it landed in,
// not the one during which the auditor happened to read the log.
import { AN, AN_STRIDE, ANOMALY_CAP, type AnomalyKind, CTRL, EC, EC_STRIDE, type Hardware } from './layout.js';

export interface AnomalyRecord {
  kind: AnomalyKind;
  engine: number;
  device: number;
  pasid: number;
  page: number;
  seen: number;
  expected: number;
  /** The sequence step running when it happened; null outside a sequence. */
  step: number | null;
}

/** Main thread: the sequence step now running (null: none), for engines to stamp on what they report. */
export function publishStep(hw: Hardware, step: number | null): void {
  Atomics.store(hw.ctrl, CTRL.STEP, step === null ? 0 : step + 1);
}

/** Engine side: log `r`, stamped with the step running now. */
export function appendAnomaly(hw: Hardware, r: Omit<AnomalyRecord, 'step'>): void {
  const slot = Atomics.add(hw.ctrl, CTRL.ANOMALY_HEAD, 1);
  if (slot >= ANOMALY_CAP) {
    Atomics.add(hw.ctrl, CTRL.ANOMALY_DROPPED, 1);
    return;
  }
  const b = slot * AN_STRIDE;
  const a = hw.anomalies;
  a[b + AN.KIND] = r.kind;
  a[b + AN.ENGINE] = r.engine;
  a[b + AN.DEVICE] = r.device;
  a[b + AN.PASID] = r.pasid;
  a[b + AN.PAGE] = r.page;
  a[b + AN.SEEN] = r.seen;
  a[b + AN.EXPECTED] = r.expected;
  a[b + AN.STEP] = Atomics.load(hw.ctrl, CTRL.STEP);
  Atomics.store(a, b + AN.READY, 1);
}

/** Auditor side: read records from `from` on; returns them and the next index to read. */
export function readAnomalies(hw: Hardware, from: number): { records: AnomalyRecord[]; next: number } {
  const head = Math.min(Atomics.load(hw.ctrl, CTRL.ANOMALY_HEAD), ANOMALY_CAP);
  const records: AnomalyRecord[] = [];
  let i = from;
  for (; i < head; i++) {
    const b = i * AN_STRIDE;
    const a = hw.anomalies;
    if (Atomics.load(a, b + AN.READY) === 0) break; // being written: read it next time
    const step = a[b + AN.STEP]!;
    records.push({
      kind: a[b + AN.KIND] as AnomalyKind,
      engine: a[b + AN.ENGINE]!,
      device: a[b + AN.DEVICE]!,
      pasid: a[b + AN.PASID]!,
      page: a[b + AN.PAGE]!,
      seen: a[b + AN.SEEN]!,
      expected: a[b + AN.EXPECTED]!,
      step: step === 0 ? null : step - 1,
    });
  }
  return { records, next: i };
}

/** Every anomaly of `kind` the engines saw, recorded or not (each engine counts them all). */
export function anomalyCount(hw: Hardware, kind: AnomalyKind): number {
  let n = 0;
  for (let e = 0; e < hw.shape.engines; e++) n += hw.engineCounts[e * EC_STRIDE + EC.ANOMALY_BASE + kind]!;
  return n;
}
