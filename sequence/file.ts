// Sequence files (YAML or JSON, docs/sequence-format.md): parsed and checked completely before
// anything runs, so every mistake is reported as one line naming the file, step and field.
import { type MachineSpec, completeMachineSpec } from '../machine/spec.js';
import { machineNames } from '../machine/names.js';
import { isErrno } from '../actors/result.js';
import { UAPI_DESIGNS, type UapiDesign } from '../actors/env.js';
import { InputError } from '../input/input-error.js';
import { parseJsonText, parseYamlText, readDocument } from '../input/read.js';
import { type SequenceInput, sequenceInput } from '../input/sequence-schema.js';
import { STEP_OP_BY_NAME, type StepArg } from './ops.js';
import type { BindKind } from '../uapi/ops.js';

export interface SequenceStep {
  readonly index: number;
  readonly op: string;
  /** Argument values as written: names (strings) or numbers. */
  readonly args: Readonly<Record<string, string | number>>;
  readonly as: string | null;
  readonly expect: string | null;
  readonly expectValue: unknown;
  readonly hasExpectValue: boolean;
  /** Per-design expectations (`expect: { ioasid: ok, iommufd: EBUSY }`), over `expect` / `expect_value`. */
  readonly byDesign?: Readonly<Partial<Record<UapiDesign, DesignExpect>>>;
  /** `nowait: NAME`: the call is sent and the file goes on; its answer is judged at the `wait` for NAME. */
  readonly nowait?: string;
}

/** The step that waits for the answer of the call sent as `for` (`{ op: wait, for: NAME }`). */
export const WAIT = 'wait';

/** What a step expects under one design. */
export interface DesignExpect {
  readonly expect?: string;
  readonly expectValue?: unknown;
}

/** The step's expectations under `design`: its per-design ones where it has them. */
export function expectationsFor(step: SequenceStep, design: UapiDesign): { expect: string | null; expectValue: unknown; hasExpectValue: boolean } {
  const d = step.byDesign?.[design];
  return {
    expect: d?.expect ?? step.expect,
    expectValue: d && 'expectValue' in d ? d.expectValue : step.expectValue,
    hasExpectValue: (d !== undefined && 'expectValue' in d) || step.hasExpectValue,
  };
}

export interface Sequence {
  readonly file: string;
  readonly name: string;
  readonly seed: number | null;
  readonly machine: MachineSpec;
  readonly steps: readonly SequenceStep[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function loadSequenceFile(path: string): Sequence {
  return sequenceOf(readDocument(path), path);
}

export function parseSequence(text: string, file: string): Sequence {
  return sequenceOf(file.toLowerCase().endsWith('.json') ? parseJsonText(text, file) : parseYamlText(text, file), file);
}

/** The shape is the schema's (input/sequence-schema.ts); what each step means is checked here. */
function sequenceOf(doc: unknown, file: string): Sequence {
  const s = sequenceInput(doc, file);
  const machine = completeMachineSpec(s.machine ?? {});
  const steps = checkSteps(s.steps, machine, (m) => `${file}: ${m}`);
  return { file, name: s.name ?? file, seed: s.seed ?? null, machine, steps };
}

// The names a vm, device or vcpu argument may take (the runner and fuzzers import them from here).
export { machineNames };

type At = (field: string | null, msg: string) => InputError;

/**
 * The state a step is checked in: the names bound so far, and the calls sent `nowait` and not
 * yet waited for (their `as:` name is bound only at the wait, when the answer has come).
 */
class StepScope {
  readonly bound = new Map<string, BindKind>();
  readonly inFlight = new Map<string, { readonly index: number; readonly as: { name: string; kind: BindKind } | null }>();
  readonly waited = new Map<string, number>();
  constructor(
    readonly names: ReturnType<typeof machineNames>,
    readonly machine: MachineSpec,
  ) {}

  /** The call in flight whose answer binds `name`, if any. */
  pendingAs(name: string): string | undefined {
    for (const [call, c] of this.inFlight) if (c.as?.name === name) return call;
    return undefined;
  }
}

function checkSteps(raw: SequenceInput['steps'], machine: MachineSpec, where: (s: string) => string): SequenceStep[] {
  const scope = new StepScope(machineNames(machine), machine);
  const atStep = (index: number) => (field: string | null, msg: string) => new InputError(where(`step ${index}${field ? `, field '${field}'` : ''}: ${msg}`));
  const steps = raw.map((s, index): SequenceStep => (s.op === WAIT ? checkWait(s, index, scope, atStep(index)) : checkCall(s, index, scope, atStep(index))));
  const [open] = scope.inFlight;
  if (open) throw atStep(open[1].index)('nowait', `the call '${open[0]}' is never waited for (add { op: wait, for: ${open[0]} })`);
  return steps;
}

type RawStep = SequenceInput['steps'][number];

/** `{ op: wait, for: NAME }`: NAME must be in flight; its `as:` name is bound from here on. */
function checkWait(s: RawStep, index: number, scope: StepScope, at: At): SequenceStep {
  for (const k of Object.keys(s))
    if (k !== 'op' && k !== 'for') throw at(k, "unknown field for op 'wait' (it takes for; the expects go on the step sent nowait)");
  const name = s.for;
  if (typeof name !== 'string') throw at('for', `must be the name of a call sent with nowait: (got ${JSON.stringify(name)})`);
  const call = scope.inFlight.get(name);
  if (!call) {
    const before = scope.waited.get(name);
    throw at(
      'for',
      before !== undefined ? `'${name}' was already waited for at step ${before}` : `no call in flight named '${name}' (a step's nowait: names one)`,
    );
  }
  scope.inFlight.delete(name);
  scope.waited.set(name, index);
  if (call.as) scope.bound.set(call.as.name, call.as.kind);
  return { index, op: WAIT, args: { for: name }, as: null, expect: null, expectValue: undefined, hasExpectValue: false };
}

/** A call step: its op, arguments, `as:`, `nowait:` and expects. */
function checkCall(s: RawStep, index: number, scope: StepScope, at: At): SequenceStep {
  const { names, machine, bound } = scope;
  const spec = STEP_OP_BY_NAME.get(s.op);
  if (!spec) throw at('op', `unknown op '${s.op}' (known: ${[...STEP_OP_BY_NAME.keys()].join(', ')})`);
  const allowed = ['op', 'as', 'nowait', 'expect', 'expect_value', ...spec.args.map((a) => a.name)];
  for (const k of Object.keys(s))
    if (!allowed.includes(k)) throw at(k, `unknown field for op '${s.op}' (it takes ${spec.args.map((a) => a.name).join(', ') || 'no arguments'})`);
  const args: Record<string, string | number> = {};
  for (const a of spec.args) {
    const v = s[a.name];
    if (v === undefined) {
      if (a.default === undefined) throw at(a.name, `missing argument for op '${s.op}'`);
      args[a.name] = a.default;
      continue;
    }
    const pending = typeof v === 'string' ? scope.pendingAs(v) : undefined;
    if (pending !== undefined) throw at(a.name, `'${v}' is bound by the answer of the call '${pending}', sent nowait: wait for it first`);
    args[a.name] = checkArg(a, v, names, bound, (m) => at(a.name, m));
  }
  let as: string | null = null;
  if (s.as !== undefined) {
    if (!spec.binds) throw at('as', `op '${s.op}' has no value to name`);
    if (typeof s.as !== 'string' || !NAME_RE.test(s.as)) throw at('as', 'must be a name (letters, digits, _ . -)');
    as = s.as;
  }
  const nowait = s.nowait;
  if (nowait !== undefined) {
    if (typeof nowait !== 'string' || !NAME_RE.test(nowait)) throw at('nowait', 'must be a name for the call in flight (letters, digits, _ . -)');
    if (scope.inFlight.has(nowait)) throw at('nowait', `a call named '${nowait}' is in flight already (sent at step ${scope.inFlight.get(nowait)!.index})`);
    scope.inFlight.set(nowait, { index, as: as && spec.binds ? { name: as, kind: spec.binds } : null });
  } else if (as && spec.binds) bound.set(as, spec.binds);
  if (spec.design !== undefined && spec.design !== machine.uapi) throw at('op', `op '${s.op}' needs machine.uapi: ${spec.design}`);
  const outcome = (v: unknown, field: string): string => {
    const ok = typeof v === 'string' && (v === 'ok' || isErrno(v) || (spec.outcomes ?? []).includes(v));
    if (!ok) throw at(field, `must be ok, an errno name${spec.outcomes?.length ? ` or ${spec.outcomes.join('/')}` : ''} (got ${JSON.stringify(v)})`);
    return v as string;
  };
  const byDesign: Partial<Record<UapiDesign, DesignExpect>> = {};
  let expect: string | null = null;
  if (isDesignMap(s.expect)) for (const [d, v] of Object.entries(s.expect)) byDesign[d as UapiDesign] = { expect: outcome(v, `expect.${d}`) };
  else if (s.expect !== undefined) expect = outcome(s.expect, 'expect');
  const perValue = isDesignMap(s.expect_value);
  if (perValue) for (const [d, v] of Object.entries(s.expect_value as Obj)) byDesign[d as UapiDesign] = { ...byDesign[d as UapiDesign], expectValue: v };
  const step: SequenceStep = {
    index,
    op: s.op,
    args,
    as,
    expect,
    expectValue: perValue ? undefined : s.expect_value,
    hasExpectValue: 'expect_value' in s && !perValue,
    ...(Object.keys(byDesign).length ? { byDesign } : {}),
    ...(nowait !== undefined ? { nowait } : {}),
  };
  return step;
}

type Obj = Record<string, unknown>;

/** A per-design map: a mapping whose keys are all design names (no op's value has such keys). */
function isDesignMap(v: unknown): v is Obj {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => UAPI_DESIGNS.includes(k as UapiDesign))
  );
}

function checkArg(
  { kind, max = 0x7fffffff }: StepArg,
  v: unknown,
  names: ReturnType<typeof machineNames>,
  bound: Map<string, string>,
  fail: (m: string) => InputError,
): string | number {
  switch (kind) {
    case 'vm':
    case 'device':
    case 'vcpu': {
      if (typeof v !== 'string') throw fail(`must be a ${kind} name (got ${JSON.stringify(v)})`);
      if (!names[kind].includes(v)) throw fail(`unknown ${kind} '${v}' (the machine has ${names[kind].join(', ') || 'none'})`);
      return v;
    }
    case 'fd':
    case 'job': {
      if (typeof v !== 'string') throw fail(`must be a name bound by an earlier 'as:' (got ${JSON.stringify(v)})`);
      if (bound.get(v) !== kind) throw fail(`'${v}' is not ${kind === 'fd' ? 'an FD' : 'a job'} named by an earlier step's 'as:'`);
      return v;
    }
    case 'ioasid':
    case 'vpasid': {
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v >= 1 << 20) throw fail(`a literal ${kind} must be an integer in 0..${(1 << 20) - 1} (got ${v})`);
        return v;
      }
      if (typeof v !== 'string') throw fail(`must be a name bound by an earlier 'as:' or a number (got ${JSON.stringify(v)})`);
      if (bound.get(v) !== 'ioasid') throw fail(`'${v}' is not an IOASID named by an earlier step's 'as:'`);
      return v;
    }
    case 'pasid': {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= 1 << 20)
        throw fail(`must be a PASID, an integer in 0..${(1 << 20) - 1} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'pages': {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= 1 << 20)
        throw fail(`must be an integer in 0..${(1 << 20) - 1} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'count': {
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max) throw fail(`must be an integer in 1..${max} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'cookie': {
      if (typeof v === 'string') {
        if (bound.get(v) !== 'cookie') throw fail(`'${v}' is not a page request named by an earlier fault_read's 'as:'`);
        return v;
      }
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
        throw fail(`must be a name bound by an earlier fault_read's 'as:' or a cookie, an integer in 1..${max} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'response': {
      if (v !== 'success' && v !== 'invalid') throw fail(`must be success or invalid (got ${JSON.stringify(v)})`);
      return v;
    }
    case 'seed':
      throw fail("seeds are drawn from the run's seed, not written in the file");
  }
}
