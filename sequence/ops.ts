// The ops a sequence step may name: every row of the uAPI op table (uapi/ops.ts), as the
// sequence language sees it, plus `check`, which asks the auditor rather than the machine.
// Seeds are not written in files: the runner draws each from the run's PRNG.
import type { OpName } from '../actors/protocol.js';
import { type Result, ok } from '../actors/result.js';
import type { Simulation } from '../sim/simulation.js';
import type { UapiDesign } from '../actors/env.js';
import { type ArgKind, type BindKind, OP_NAMES, type OpRow, UAPI } from '../uapi/ops.js';

export interface StepArg {
  readonly name: string;
  readonly kind: ArgKind;
  readonly default?: number;
  readonly max?: number;
}

export interface StepOp {
  readonly name: string;
  readonly summary: string;
  /** The arguments a file may (or must) give, in order; seeds are left out. */
  readonly args: readonly StepArg[];
  /** Arguments the runner draws from the run's PRNG. */
  readonly seeds: readonly string[];
  readonly binds?: BindKind;
  readonly outcomes?: readonly string[];
  /** The one uAPI design that has the op, if only one does. */
  readonly design?: UapiDesign;
  run(sim: Simulation, a: Readonly<Record<string, number>>): Promise<Result<unknown>>;
  classify?(value: unknown): string;
  fullyOk?(value: unknown): boolean;
}

function fromRow<K extends OpName>(name: K): StepOp {
  const row = UAPI[name] as OpRow<K> & { classify?(v: unknown): string; fullyOk?(v: unknown): boolean };
  const all = Object.entries(row.args as Record<string, Omit<StepArg, 'name'>>).map(([n, s]) => ({ name: n, ...s }));
  return {
    name,
    summary: row.summary,
    args: all.filter((a) => a.kind !== 'seed'),
    seeds: all.filter((a) => a.kind === 'seed').map((a) => a.name),
    ...(row.binds ? { binds: row.binds } : {}),
    ...(row.outcomes ? { outcomes: row.outcomes } : {}),
    ...(row.design ? { design: row.design } : {}),
    run: (sim, a) => sim.machine.invoke(name, a as never),
    ...(row.classify ? { classify: row.classify } : {}),
    ...(row.fullyOk ? { fullyOk: row.fullyOk } : {}),
  };
}

const check: StepOp = {
  name: 'check',
  summary: 'run every invariant check now',
  args: [],
  seeds: [],
  run: async (sim) => {
    await sim.monitor.check();
    return ok(null);
  },
};

export const STEP_OPS: readonly StepOp[] = [...OP_NAMES.map(fromRow), check];
export const STEP_OP_BY_NAME: ReadonlyMap<string, StepOp> = new Map(STEP_OPS.map((o) => [o.name, o]));
