// Sequence files (YAML or JSON, docs/sequence-format.md): parsed and checked completely before
// anything runs, so every mistake is reported as one line naming the file, step and field.
import { type MachineSpec, completeMachineSpec } from '../machine/spec.js';
import { machineNames } from '../machine/names.js';
import { isErrno } from '../actors/result.js';
import { InputError } from '../input/input-error.js';
import { parseJsonText, parseYamlText, readDocument } from '../input/read.js';
import { type SequenceInput, sequenceInput } from '../input/sequence-schema.js';
import { STEP_OP_BY_NAME, type StepArg } from './ops.js';

export interface SequenceStep {
  readonly index: number;
  readonly op: string;
  /** Argument values as written: names (strings) or numbers. */
  readonly args: Readonly<Record<string, string | number>>;
  readonly as: string | null;
  readonly expect: string | null;
  readonly expectValue: unknown;
  readonly hasExpectValue: boolean;
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

function checkSteps(raw: SequenceInput['steps'], machine: MachineSpec, where: (s: string) => string): SequenceStep[] {
  const names = machineNames(machine);
  const bound = new Map<string, 'fd' | 'ioasid' | 'job'>();
  return raw.map((s, index) => {
    const at = (field: string | null, msg: string) => new InputError(where(`step ${index}${field ? `, field '${field}'` : ''}: ${msg}`));
    const spec = STEP_OP_BY_NAME.get(s.op);
    if (!spec) throw at('op', `unknown op '${s.op}' (known: ${[...STEP_OP_BY_NAME.keys()].join(', ')})`);
    const allowed = ['op', 'as', 'expect', 'expect_value', ...spec.args.map((a) => a.name)];
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
      args[a.name] = checkArg(a, v, names, bound, (m) => at(a.name, m));
    }
    let as: string | null = null;
    if (s.as !== undefined) {
      if (!spec.binds) throw at('as', `op '${s.op}' has no value to name`);
      if (typeof s.as !== 'string' || !NAME_RE.test(s.as)) throw at('as', 'must be a name (letters, digits, _ . -)');
      as = s.as;
      bound.set(as, spec.binds);
    }
    let expect: string | null = null;
    if (s.expect !== undefined) {
      const ok = typeof s.expect === 'string' && (s.expect === 'ok' || isErrno(s.expect) || (spec.outcomes ?? []).includes(s.expect));
      if (!ok)
        throw at('expect', `must be ok, an errno name${spec.outcomes?.length ? ` or ${spec.outcomes.join('/')}` : ''} (got ${JSON.stringify(s.expect)})`);
      expect = s.expect as string;
    }
    return { index, op: s.op, args, as, expect, expectValue: s.expect_value, hasExpectValue: 'expect_value' in s };
  });
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
    case 'pages': {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= 1 << 20)
        throw fail(`must be an integer in 0..${(1 << 20) - 1} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'count': {
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max) throw fail(`must be an integer in 1..${max} (got ${JSON.stringify(v)})`);
      return v as number;
    }
    case 'seed':
      throw fail("seeds are drawn from the run's seed, not written in the file");
  }
}
