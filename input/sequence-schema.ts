// A sequence file's shape (docs/sequence-format.md): name, seed, machine and a list of steps,
// each a mapping with an `op`. What a step's arguments mean depends on its op and on the steps
// before it; sequence/file.ts checks that against the op table.
import * as v from 'valibot';
import { MACHINE_FILE_FIELDS, checkMachine } from './machine-schema.js';
import { MAX_STEPS, SEED_MAX } from './limits.js';
import { intIn, list, mapping, parseWith, record, shown, text } from './schema.js';

const step = record(
  { op: v.string((i) => `missing or not a string (got ${shown(i.input)})`) },
  (x) => `a step must be a mapping with an \`op\` (got ${shown(x)})`,
);

const sequenceFile = mapping({
  name: v.optional(text()),
  seed: v.optional(intIn(0, SEED_MAX)),
  machine: v.optional(v.nullable(mapping(MACHINE_FILE_FIELDS))),
  steps: list(step, 1, MAX_STEPS),
});

export type SequenceInput = v.InferOutput<typeof sequenceFile>;

/** A parsed sequence file's document, checked for shape; else an InputError naming the field. */
export function sequenceInput(doc: unknown, file: string): SequenceInput {
  const s = parseWith(sequenceFile, doc, file);
  if (s.machine) checkMachine(s.machine, file, ['machine']);
  return s;
}
