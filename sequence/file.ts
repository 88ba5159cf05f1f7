// Sequence files (YAML or JSON, docs/sequence-format.md): parsed and checked completely before
// anything runs, so every mistake is reported as one line naming the file, step and field.
import { LineCounter, parseDocument } from 'yaml';
import { DEFAULT_DEVICE, type DeviceSpec, type MachineSpec, type VmSpec, defaultMachineSpec } from '../machine/spec.js';
import { machineNames } from '../machine/names.js';
import { isErrno } from '../actors/result.js';
import { InputError, readInputFile } from '../input/input-error.js';
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

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function loadSequenceFile(path: string): Sequence {
  return parseSequence(readInputFile(path), path);
}

export function parseSequence(text: string, file: string): Sequence {
  const isJson = file.toLowerCase().endsWith('.json');
  let doc: unknown;
  if (isJson) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${file}: JSON syntax error: ${(e as Error).message}`);
    }
  } else {
    // The line comes from a LineCounter: without prettyErrors (whose messages span several
    // lines) the yaml package leaves linePos unset.
    const lineCounter = new LineCounter();
    const d = parseDocument(text, { prettyErrors: false, lineCounter });
    const first = d.errors[0];
    if (first) {
      const line = lineCounter.linePos(first.pos[0]).line;
      throw new InputError(`${file}${line ? `:${line}` : ''}: YAML syntax error${line ? ` at line ${line}` : ''}: ${first.message.split('\n')[0]}`);
    }
    doc = d.toJS();
  }
  const where = (s: string) => `${file}: ${s}`;
  if (!isObj(doc)) throw new InputError(where('the file must hold a mapping with a `steps` list'));
  for (const k of Object.keys(doc))
    if (!['name', 'seed', 'machine', 'steps'].includes(k)) throw new InputError(where(`unknown top-level field '${k}' (expected name, seed, machine, steps)`));
  if (doc.name !== undefined && typeof doc.name !== 'string') throw new InputError(where("field 'name' must be a string"));
  let seed: number | null = null;
  if (doc.seed !== undefined) {
    if (!Number.isSafeInteger(doc.seed) || (doc.seed as number) < 0) throw new InputError(where("field 'seed' must be a non-negative integer"));
    seed = doc.seed as number;
  }
  const machine = parseMachine(doc.machine, where);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) throw new InputError(where("field 'steps' must be a non-empty list"));
  const steps = checkSteps(doc.steps, machine, where);
  return { file, name: (doc.name as string | undefined) ?? file, seed, machine, steps };
}

function int(v: unknown, min: number, max: number, what: string, where: (s: string) => string): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw new InputError(where(`${what} must be an integer in ${min}..${max} (got ${JSON.stringify(v)})`));
  return v as number;
}
function bool(v: unknown, what: string, where: (s: string) => string): boolean {
  if (typeof v !== 'boolean') throw new InputError(where(`${what} must be true or false (got ${JSON.stringify(v)})`));
  return v;
}
function onlyKeys(o: Obj, keys: readonly string[], what: string, where: (s: string) => string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new InputError(where(`unknown field '${k}' in ${what} (expected ${keys.join(', ')})`));
}

function parseMachine(m: unknown, where: (s: string) => string): MachineSpec {
  const base = defaultMachineSpec();
  if (m === undefined || m === null) return base;
  if (!isObj(m)) throw new InputError(where("field 'machine' must be a mapping"));
  onlyKeys(m, ['iommus', 'pasidBits', 'destroyPolicy', 'vms'], 'machine', where);
  const iommus = m.iommus === undefined ? 1 : int(m.iommus, 1, 64, 'machine.iommus', where);
  const pasidBits = m.pasidBits === undefined ? 20 : int(m.pasidBits, 1, 20, 'machine.pasidBits', where);
  const destroyPolicy = m.destroyPolicy === undefined ? 'park' : m.destroyPolicy;
  if (destroyPolicy !== 'park' && destroyPolicy !== 'ebusy')
    throw new InputError(where(`machine.destroyPolicy must be park or ebusy (got ${JSON.stringify(destroyPolicy)})`));
  let vms = base.vms;
  if (m.vms !== undefined) {
    if (!Array.isArray(m.vms) || m.vms.length === 0) throw new InputError(where('machine.vms must be a non-empty list'));
    const seen = new Set<string>();
    vms = m.vms.map((v, i): VmSpec => {
      const w = `machine.vms[${i}]`;
      if (!isObj(v)) throw new InputError(where(`${w} must be a mapping`));
      onlyKeys(v, ['name', 'vcpus', 'pages', 'quota', 'devices'], w, where);
      if (typeof v.name !== 'string' || !NAME_RE.test(v.name)) throw new InputError(where(`${w}.name must be a name (letters, digits, _ . -)`));
      if (seen.has(v.name)) throw new InputError(where(`${w}.name '${v.name}' is used twice`));
      seen.add(v.name);
      const devices = v.devices === undefined ? [] : v.devices;
      if (!Array.isArray(devices)) throw new InputError(where(`${w}.devices must be a list`));
      return {
        name: v.name,
        vcpus: v.vcpus === undefined ? 1 : int(v.vcpus, 0, 64, `${w}.vcpus`, where),
        pages: v.pages === undefined ? 256 : int(v.pages, 1, 1 << 20, `${w}.pages`, where),
        quota: v.quota === undefined || v.quota === null ? null : int(v.quota, 0, 1 << 20, `${w}.quota`, where),
        devices: devices.map((d, j): DeviceSpec => {
          const dw = `${w}.devices[${j}]`;
          if (!isObj(d)) throw new InputError(where(`${dw} must be a mapping`));
          onlyKeys(d, ['name', 'iommu', 'pasid', 'ats', 'enqcmd', 'pri'], dw, where);
          if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) throw new InputError(where(`${dw}.name must be a name (letters, digits, _ . -)`));
          if (seen.has(d.name)) throw new InputError(where(`${dw}.name '${d.name}' is used twice`));
          seen.add(d.name);
          return {
            name: d.name,
            iommu: d.iommu === undefined ? DEFAULT_DEVICE.iommu : int(d.iommu, 0, iommus - 1, `${dw}.iommu`, where),
            pasid: d.pasid === undefined ? DEFAULT_DEVICE.pasid : bool(d.pasid, `${dw}.pasid`, where),
            ats: d.ats === undefined ? DEFAULT_DEVICE.ats : bool(d.ats, `${dw}.ats`, where),
            enqcmd: d.enqcmd === undefined ? DEFAULT_DEVICE.enqcmd : bool(d.enqcmd, `${dw}.enqcmd`, where),
            pri: d.pri === undefined ? DEFAULT_DEVICE.pri : bool(d.pri, `${dw}.pri`, where),
          };
        }),
      };
    });
  }
  return { ...base, iommus, pasidBits, destroyPolicy, vms };
}

// The names a vm, device or vcpu argument may take (the runner and fuzzers import them from here).
export { machineNames };

function checkSteps(raw: unknown[], machine: MachineSpec, where: (s: string) => string): SequenceStep[] {
  const names = machineNames(machine);
  const bound = new Map<string, 'fd' | 'ioasid' | 'job'>();
  return raw.map((s, index) => {
    const at = (field: string | null, msg: string) => new InputError(where(`step ${index}${field ? `, field '${field}'` : ''}: ${msg}`));
    if (!isObj(s)) throw at(null, 'a step must be a mapping with an `op`');
    if (typeof s.op !== 'string') throw at('op', 'missing or not a string');
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
    case 'response': {
      if (v !== 'success' && v !== 'invalid') throw fail(`must be success or invalid (got ${JSON.stringify(v)})`);
      return v;
    }
    case 'seed':
      throw fail("seeds are drawn from the run's seed, not written in the file");
  }
}
