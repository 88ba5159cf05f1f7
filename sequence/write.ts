// Recorded calls as a sequence file (docs/sequence-format.md): the machine, then one flow-style
// step per call, with the outcome it must have (`expect:`, and `expect_value:` when given), so
// `ioasid-sim seq FILE` or runSequence replays the calls and reports a step that differs as
// unmet. The uAPI fuzzer's failures and `shrink`'s reproducers are both written here.
import { Document, YAMLMap, type YAMLSeq, isMap } from 'yaml';
import type { MachineSpec } from '../machine/spec.js';
import { parseSequence } from './file.js';

/** A step in sequence-file form: names for FDs, VMs and devices; literal PASIDs. */
export interface RecordedStep {
  readonly op: string;
  readonly args: Readonly<Record<string, string | number>>;
  readonly as: string | null;
  /** The outcome the step must have; null: any. */
  readonly expect: string | null;
  /** Compared when present (allocated PASIDs, PASID states). */
  readonly expectValue?: unknown;
  /** The call is sent under this name and the file goes on; a later `{ op: wait, for: NAME }` waits for it. */
  readonly nowait?: string;
}

/** The `machine:` mapping of a sequence file. */
export type MachineDoc = Readonly<Record<string, unknown>>;

/**
 * The MachineSpec a sequence file with this `machine:` runs on, obtained by parsing it: the
 * fuzzer runs on exactly what the written file will describe.
 */
export function machineSpecOf(machine: MachineDoc): MachineSpec {
  return parseSequence(JSON.stringify({ machine, steps: [{ op: 'check' }] }), 'machine.json').machine;
}

/** The `machine:` mapping that describes `m`, as far as a file can (docs/sequence-format.md#the-machine). */
export function machineDocOf(m: MachineSpec): MachineDoc {
  return {
    iommus: m.iommus,
    pasidBits: m.pasidBits,
    destroyPolicy: m.destroyPolicy,
    // The design only where it is not the default, as hand-written files say it.
    ...(m.uapi !== 'ioasid' ? { uapi: m.uapi } : {}),
    vms: m.vms.map((v) => ({
      name: v.name,
      vcpus: v.vcpus,
      pages: v.pages,
      quota: v.quota,
      ...(v.guestFaults ? { guestFaults: true } : {}),
      // PRI and a narrower PASID width only where a device has them, as hand-written files say them.
      devices: v.devices.map((d) => ({
        name: d.name,
        iommu: d.iommu,
        pasid: d.pasid,
        ats: d.ats,
        enqcmd: d.enqcmd,
        ...(d.pri ? { pri: true } : {}),
        ...(d.pasidBits !== undefined ? { pasidBits: d.pasidBits } : {}),
      })),
    })),
  };
}

function stepDoc(s: RecordedStep): Record<string, unknown> {
  return {
    op: s.op,
    ...s.args,
    ...(s.as !== null ? { as: s.as } : {}),
    ...(s.nowait !== undefined ? { nowait: s.nowait } : {}),
    ...(s.expect !== null ? { expect: s.expect } : {}),
    ...(s.expectValue !== undefined ? { expect_value: s.expectValue } : {}),
  };
}

export interface SequenceText {
  readonly name: string;
  /** The file's `seed:` (default 1). */
  readonly seed?: number;
  readonly machine: MachineDoc;
  readonly steps: readonly RecordedStep[];
  /** Lines for the header comment (why the file exists, how it was found). */
  readonly comment: readonly string[];
}

export function toSequenceYaml(t: SequenceText): string {
  const doc = new Document({ name: t.name, seed: t.seed ?? 1, machine: t.machine, steps: t.steps.map(stepDoc) });
  // One step (and one device) per line, as hand-written sequence files are laid out.
  const flow = (node: unknown) => {
    if (node instanceof YAMLMap) node.flow = true;
  };
  (doc.get('steps') as YAMLSeq).items.forEach(flow);
  for (const vm of (doc.getIn(['machine', 'vms']) as YAMLSeq | undefined)?.items ?? []) {
    if (isMap(vm)) ((vm.get('devices') as YAMLSeq | undefined)?.items ?? []).forEach(flow);
  }
  doc.commentBefore = t.comment.map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}
