// Fuzzer steps as a sequence file (docs/sequence-format.md): the machine, then one flow-style step per
// call with the reference model's `expect:` (and `expect_value:`), so `ioasid-sim seq FILE` or
// runSequence replays the calls and reports the step where the machine disagrees as unmet.
import { Document, YAMLMap, type YAMLSeq, isMap } from 'yaml';
import type { MachineSpec } from '../../machine/spec.js';
import { parseSequence } from '../../sequence/file.js';

/** A step in sequence-file form: names for FDs, VMs and devices; literal PASIDs. */
export interface RecordedStep {
  readonly op: string;
  readonly args: Readonly<Record<string, string | number>>;
  readonly as: string | null;
  readonly expect: string;
  /** Compared when present (allocated PASIDs, PASID states). */
  readonly expectValue?: unknown;
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

function stepDoc(s: RecordedStep): Record<string, unknown> {
  return {
    op: s.op,
    ...s.args,
    ...(s.as !== null ? { as: s.as } : {}),
    expect: s.expect,
    ...(s.expectValue !== undefined ? { expect_value: s.expectValue } : {}),
  };
}

export interface SequenceText {
  readonly name: string;
  readonly machine: MachineDoc;
  readonly steps: readonly RecordedStep[];
  /** Lines for the header comment (why the file exists, how it was found). */
  readonly comment: readonly string[];
}

export function toSequenceYaml(t: SequenceText): string {
  const doc = new Document({ name: t.name, seed: 1, machine: t.machine, steps: t.steps.map(stepDoc) });
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
