// The model-based fuzzing loop: random machines and call sequences, each run on a fresh
// simulation against a fresh reference model. A failing case is shrunk by fast-check, run once
// more to record its steps, and written out as a sequence file that reproduces it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { MutantName } from '../../actors/env.js';
import type { MachineSpec } from '../../machine/spec.js';
import { Simulation } from '../../sim/simulation.js';
import { type UapiCommand, machineDocs, uapiCalls } from './commands.js';
import { RefModel } from './model.js';
import { Disagreement, Session } from './session.js';
import { type RecordedStep, machineSpecOf, toSequenceYaml } from '../../sequence/write.js';

export interface FuzzOptions {
  readonly numRuns: number;
  readonly seed: number;
  readonly maxCommands: number;
  /** Where a failing case's sequence file is written. */
  readonly outDir: string;
  /** The reference model (a test swaps in a deliberately wrong one). */
  readonly makeModel?: (spec: MachineSpec) => RefModel;
  /** Run the machine with a mutant on (to show the fuzzer catches the uAPI-visible ones). */
  readonly mutant?: MutantName;
}

export interface FuzzFailure {
  readonly message: string;
  /** The shrunk case as fast-check prints it. */
  readonly counterexample: string;
  readonly file: string;
  readonly yaml: string;
}

export interface FuzzResult {
  readonly numRuns: number;
  readonly seed: number;
  readonly ms: number;
  readonly failure: FuzzFailure | null;
  /** Steps run, by op and expected outcome ("kvm_set_pasid EEXIST"): what the cases reached. */
  readonly tally: ReadonlyMap<string, number>;
}

interface Played {
  readonly steps: readonly RecordedStep[];
  readonly model: RefModel;
  readonly error: unknown;
}

/** Run one case on a fresh simulation; the error (if any) is returned with what ran. */
async function play(
  spec: MachineSpec,
  [opens, rest]: [UapiCommand[], Iterable<UapiCommand>],
  makeModel: (spec: MachineSpec) => RefModel,
  tally?: Map<string, number>,
): Promise<Played> {
  const sim = new Simulation({ spec, seed: 1 });
  const session = new Session(sim, tally);
  const model = makeModel(spec);
  let error: unknown = null;
  try {
    await fc.asyncModelRun(() => ({ model, real: session }), [...opens, ...rest]);
  } catch (e) {
    error = e;
  } finally {
    await sim.finish();
  }
  // The end-of-run checks (every call answered, PASIDs let go of are free) count too.
  const v = sim.violations[0];
  if (!error && v) error = new Disagreement('violation', `at the end of the run: invariant ${v.invariant} violated: ${v.detail}`);
  return { steps: session.steps, model, error };
}

/** Steps that make a state difference visible in a file: every PASID's state as the model has it. */
function pasidStateSteps(model: RefModel): RecordedStep[] {
  return Array.from({ length: model.max - 1 }, (_, i) => ({
    op: 'pasid_state',
    args: { ioasid: i + 1 },
    as: null,
    expect: 'ok',
    expectValue: model.pasidState(i + 1),
  }));
}

export async function fuzzUapi(o: FuzzOptions): Promise<FuzzResult> {
  const makeModel = o.makeModel ?? ((spec: MachineSpec) => new RefModel(spec));
  const cases = machineDocs.chain((doc) => {
    const spec = { ...machineSpecOf(doc), mutant: o.mutant ?? null };
    return fc.tuple(fc.constant({ doc, spec }), uapiCalls(spec, o.maxCommands));
  });
  const started = performance.now();
  const tally = new Map<string, number>();
  const details = await fc.check(
    fc.asyncProperty(cases, async ([{ spec }, cmds]) => {
      const { error } = await play(spec, cmds, makeModel, tally);
      if (error) throw error;
    }),
    { numRuns: o.numRuns, seed: o.seed },
  );
  const ms = Math.round(performance.now() - started);
  if (!details.failed || !details.counterexample) return { numRuns: details.numRuns, seed: o.seed, ms, failure: null, tally };

  const [{ doc, spec }, calls] = details.counterexample[0];
  const replay = await play(spec, calls, makeModel);
  const message = replay.error
    ? String((replay.error as Error).message ?? replay.error)
    : `the shrunk case passed when run again (flaky?): ${String(details.errorInstance)}`;
  const stateDiff = replay.error instanceof Disagreement && replay.error.kind === 'state';
  const steps = stateDiff ? [...replay.steps, ...pasidStateSteps(replay.model)] : replay.steps;
  const yaml = toSequenceYaml({
    name: `uAPI fuzz counterexample (fast-check seed ${o.seed})`,
    machine: doc,
    steps,
    comment: header(o, details.counterexamplePath ?? '', message),
  });
  mkdirSync(o.outDir, { recursive: true });
  const file = join(o.outDir, `uapi-fuzz-seed${o.seed}.yaml`);
  writeFileSync(file, yaml);
  return { numRuns: details.numRuns, seed: o.seed, ms, failure: { message, counterexample: fc.stringify([doc, calls]), file, yaml }, tally };
}

function header(o: FuzzOptions, path: string, message: string): string[] {
  const flag = o.mutant ? ` --mutant ${o.mutant}` : '';
  return [
    'Written by the uAPI model-based fuzzer (test/fuzz): the shrunk call sequence on which the',
    'machine and the reference model of docs/model.md#the-uapi disagree. Every expect: is the',
    `model's answer; run it with \`ioasid-sim seq FILE${flag}\` or runSequence to see the unmet step.`,
    `fast-check seed ${o.seed}, path ${path}${o.mutant ? `, machine with mutant ${o.mutant}` : ''}`,
    `disagreement: ${message}`,
  ];
}
