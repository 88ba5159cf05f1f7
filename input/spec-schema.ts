// createSimulation's options (README, "Embedding it in a VMM model"): the machine as a sequence
// file writes it plus the simulation's own knobs, a 32-bit seed and the mode. JavaScript callers
// have no compiler to stop `pages: -5`, `seed: NaN` or `mode: 'bogus'`: this does. The mutant and
// strategy names live in higher layers: the caller passes them in.
import * as v from 'valibot';
import { MACHINE_FILE_FIELDS, checkMachine } from './machine-schema.js';
import { MACHINE_LIMITS, SCALE_LIMITS, SEED_MAX } from './limits.js';
import { bool, intIn, mapping, mappingMessage, oneOf, parseWith } from './schema.js';

type Words = readonly [string, ...string[]];

/** Where the options' problems are said to be: the call, as a person writes it. */
const WHERE = 'createSimulation';

export function createOptionsInput(o: unknown, names: { readonly mutants: Words; readonly strategies: Words }) {
  const machine = mapping({
    ...MACHINE_FILE_FIELDS,
    workers: v.optional(intIn(1, MACHINE_LIMITS.workers)),
    mutant: v.optional(v.nullable(oneOf(names.mutants, 'mutant'))),
    replyTimeoutMs: v.optional(intIn(1, 3_600_000)),
    landingLatencyUs: v.optional(intIn(0, 60_000_000)),
    pasidLeaves: v.optional(intIn(1, 1 << 20)),
    pgtables: v.optional(intIn(1, 1 << 20)),
    crashEngine: v.optional(intIn(0, MACHINE_LIMITS.workers - 1)),
  });
  const mode = v.variant(
    'mode',
    [
      v.strictObject({ mode: v.literal('threads') }, mappingMessage(['mode'])),
      v.strictObject(
        {
          mode: v.literal('deterministic'),
          strategy: oneOf(names.strategies, 'strategy'),
          pctDepth: intIn(1, SCALE_LIMITS.pctDepth),
          expectedSteps: v.optional(intIn(1, 1e9)),
        },
        mappingMessage(['mode', 'strategy', 'pctDepth', 'expectedSteps']),
      ),
    ],
    (i) => `must be { mode: 'threads' } or { mode: 'deterministic', strategy, pctDepth } (got ${JSON.stringify(i.received)})`,
  );
  const options = mapping({
    machine: v.optional(machine),
    seed: v.optional(intIn(0, SEED_MAX)),
    mode: v.optional(mode),
    parent: v.optional(v.unknown()),
    publishMessages: v.optional(bool()),
  });
  const r = parseWith(options, o ?? {}, WHERE);
  if (r.machine) checkMachine(r.machine, WHERE, ['machine']);
  return r;
}
