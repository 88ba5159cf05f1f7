// Bad sequence files: a good file with one thing wrong, each with the line it must give. The
// field paths are written as the message writes them.
import { MAX_INPUT_BYTES } from '../../input/limits.js';

export interface FileCase {
  readonly name: string;
  /** The file's name (its extension picks JSON or YAML) and content; 'fifo' makes a named pipe. */
  readonly file: string;
  readonly content: string | 'fifo';
  /** What the one stderr line must match, after `ioasid-sim: FILE: `. */
  readonly line: RegExp;
}

const GOOD = {
  name: 'good',
  seed: 1,
  machine: {
    iommus: 1,
    pasidBits: 20,
    destroyPolicy: 'park',
    vms: [{ name: 'vm1', vcpus: 1, pages: 256, quota: null, devices: [{ name: 'dev1', iommu: 0, pasid: true, ats: true, enqcmd: false }] }],
  },
  steps: [
    { op: 'open', vm: 'vm1', as: 'fd1' },
    { op: 'alloc', fd: 'fd1', as: 'a1' },
  ] as Record<string, unknown>[],
};

const DELETE = Symbol('delete');
type Path = readonly (string | number)[];

/** The good file with the value at `path` replaced (or deleted). */
function edited(path: Path, value: unknown): unknown {
  const doc = structuredClone(GOOD) as unknown as Record<string | number, unknown>;
  let at = doc;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === DELETE) delete at[last];
  else at[last] = value;
  return doc;
}

/** The good file with one more step appended. */
const withStep = (step: unknown) => ({ ...structuredClone(GOOD), steps: [...GOOD.steps, step] });

const field = (f: string, msg: string) => new RegExp(`field '${f.replace(/[[\].]/g, '\\$&')}': ${msg}`);
const step = (n: number, f: string | null, msg: string) => new RegExp(`step ${n}${f ? `, field '${f}'` : ''}: ${msg}`);

const VM = ['machine', 'vms', 0] as const;
const DEV = [...VM, 'devices', 0] as const;
const vmField = (f: string) => `machine.vms[0].${f}`;
const devField = (f: string) => `machine.vms[0].devices[0].${f}`;

/** [case name, path, value, what the line says]. */
const FIELD_EDITS: readonly [string, Path, unknown, RegExp][] = [
  ['unknown top-level field', ['colour'], 'red', field('colour', 'unknown field')],
  ['name not a string', ['name'], 5, field('name', 'must be a string')],
  ['seed negative', ['seed'], -1, field('seed', 'must be an integer in 0\\.\\.4294967295')],
  ['seed a fraction', ['seed'], 1.5, field('seed', 'must be an integer')],
  ['seed a string', ['seed'], '1', field('seed', 'must be an integer')],
  ['seed beyond 32 bits (never truncated)', ['seed'], 99999999999, field('seed', 'must be an integer in 0\\.\\.4294967295 \\(got 99999999999\\)')],
  ['seed 2^32', ['seed'], 4294967296, field('seed', 'must be an integer')],
  ['seed null', ['seed'], null, field('seed', 'must be an integer')],
  ['steps missing', ['steps'], DELETE, field('steps', 'missing')],
  ['steps empty', ['steps'], [], field('steps', 'must be a list of 1\\.\\.10000 items \\(got 0 items\\)')],
  ['steps not a list', ['steps'], { op: 'open' }, field('steps', 'must be a list')],
  ['machine not a mapping', ['machine'], 5, field('machine', 'must be a mapping')],
  ['machine a list', ['machine'], [], field('machine', 'must be a mapping')],
  ['unknown machine field', ['machine', 'cpus'], 4, field('machine.cpus', 'unknown field')],
  ['iommus 0', ['machine', 'iommus'], 0, field('machine.iommus', 'must be an integer in 1\\.\\.64')],
  ['iommus 65', ['machine', 'iommus'], 65, field('machine.iommus', 'must be an integer in 1\\.\\.64')],
  ['iommus a string', ['machine', 'iommus'], '2', field('machine.iommus', 'must be an integer')],
  ['iommus a fraction', ['machine', 'iommus'], 1.5, field('machine.iommus', 'must be an integer')],
  ['pasidBits 0', ['machine', 'pasidBits'], 0, field('machine.pasidBits', 'must be an integer in 1\\.\\.20')],
  ['pasidBits 21', ['machine', 'pasidBits'], 21, field('machine.pasidBits', 'must be an integer in 1\\.\\.20')],
  ['destroyPolicy unknown', ['machine', 'destroyPolicy'], 'never', field('machine.destroyPolicy', 'must be park or ebusy')],
  ['destroyPolicy a number', ['machine', 'destroyPolicy'], 1, field('machine.destroyPolicy', 'must be park or ebusy')],
  ['vms empty', ['machine', 'vms'], [], field('machine.vms', 'must be a list of 1\\.\\.64 items')],
  ['vms not a list', ['machine', 'vms'], 'vm1', field('machine.vms', 'must be a list')],
  [
    'vms too many',
    ['machine', 'vms'],
    Array.from({ length: 65 }, (_, i) => ({ name: `v${i}` })),
    field('machine.vms', 'must be a list of 1\\.\\.64 items \\(got 65 items\\)'),
  ],
  ['vm not a mapping', [...VM], 'vm1', field('machine.vms[0]', 'must be a mapping')],
  ['vm name missing', [...VM, 'name'], DELETE, field(vmField('name'), 'missing')],
  ['vm name starts with a digit', [...VM, 'name'], '1vm', field(vmField('name'), 'must be a name')],
  ['vm name with a space', [...VM, 'name'], 'vm 1', field(vmField('name'), 'must be a name')],
  ['vm name a number', [...VM, 'name'], 1, field(vmField('name'), 'must be a name')],
  ['unknown vm field', [...VM, 'memory'], 4, field(vmField('memory'), 'unknown field')],
  ['vcpus negative', [...VM, 'vcpus'], -1, field(vmField('vcpus'), 'must be an integer in 0\\.\\.64')],
  ['vcpus 65', [...VM, 'vcpus'], 65, field(vmField('vcpus'), 'must be an integer in 0\\.\\.64')],
  ['vcpus a string', [...VM, 'vcpus'], 'two', field(vmField('vcpus'), 'must be an integer')],
  ['pages 0', [...VM, 'pages'], 0, field(vmField('pages'), 'must be an integer in 1\\.\\.1048576')],
  ['pages -5', [...VM, 'pages'], -5, field(vmField('pages'), 'must be an integer in 1\\.\\.1048576 \\(got -5\\)')],
  ['pages beyond the bound', [...VM, 'pages'], 2 ** 20 + 1, field(vmField('pages'), 'must be an integer in 1\\.\\.1048576')],
  ['pages a fraction', [...VM, 'pages'], 2.5, field(vmField('pages'), 'must be an integer')],
  ['quota negative', [...VM, 'quota'], -1, field(vmField('quota'), 'must be an integer in 0\\.\\.1048576')],
  ['quota a string', [...VM, 'quota'], 'lots', field(vmField('quota'), 'must be an integer')],
  ['devices not a list', [...VM, 'devices'], { name: 'dev1' }, field(vmField('devices'), 'must be a list')],
  ['device not a mapping', [...DEV], 'dev1', field('machine.vms[0].devices[0]', 'must be a mapping')],
  ['device name missing', [...DEV, 'name'], DELETE, field(devField('name'), 'missing')],
  ['device name bad', [...DEV, 'name'], 'dev/1', field(devField('name'), 'must be a name')],
  ['unknown device field', [...DEV, 'speed'], 'fast', field(devField('speed'), 'unknown field')],
  ['device iommu negative', [...DEV, 'iommu'], -1, field(devField('iommu'), 'must be an integer in 0\\.\\.63')],
  ['device on an IOMMU the machine lacks', [...DEV, 'iommu'], 1, field(devField('iommu'), 'must be an integer in 0\\.\\.0 \\(got 1\\)')],
  ['device iommu a string', [...DEV, 'iommu'], '0', field(devField('iommu'), 'must be an integer')],
  ['device pasid not a boolean', [...DEV, 'pasid'], 'yes', field(devField('pasid'), 'must be true or false')],
  ['device ats a number', [...DEV, 'ats'], 1, field(devField('ats'), 'must be true or false')],
  ['device enqcmd null', [...DEV, 'enqcmd'], null, field(devField('enqcmd'), 'must be true or false')],
  ['two VMs of one name', ['machine', 'vms', 1], { name: 'vm1' }, field('machine.vms[1].name', "'vm1' is used twice")],
  ['a device named as a VM', [...DEV, 'name'], 'vm1', field(devField('name'), "'vm1' is used twice")],
  ['step not a mapping', ['steps', 1], 'alloc', step(1, null, 'a step must be a mapping with an `op`')],
  ['step a list', ['steps', 1], ['alloc'], step(1, null, 'a step must be a mapping')],
  ['step without op', ['steps', 1, 'op'], DELETE, step(1, 'op', 'missing')],
  ['op a number', ['steps', 1, 'op'], 5, step(1, 'op', 'missing or not a string')],
];

/** [case name, the appended step (index 2), its field, what the line says]. */
const STEP_EDITS: readonly [string, unknown, string | null, string][] = [
  ['unknown op', { op: 'frobnicate' }, 'op', "unknown op 'frobnicate'"],
  ['unknown field of a step', { op: 'close', fd: 'fd1', colour: 'red' }, 'colour', 'unknown field'],
  ['missing argument', { op: 'destroy', fd: 'fd1' }, 'ioasid', 'missing argument'],
  ['unknown vm', { op: 'open', vm: 'vm9' }, 'vm', "unknown vm 'vm9'"],
  ['vm by number', { op: 'open', vm: 0 }, 'vm', 'must be a vm name'],
  ['unknown device', { op: 'allow', device: 'dev9', fd: 'fd1', ioasid: 'a1' }, 'device', "unknown device 'dev9'"],
  ['unbound fd', { op: 'alloc', fd: 'fd7' }, 'fd', "'fd7' is not an FD"],
  ['an IOASID name used as an FD', { op: 'alloc', fd: 'a1' }, 'fd', "'a1' is not an FD"],
  ['an FD name used as an IOASID', { op: 'destroy', fd: 'fd1', ioasid: 'fd1' }, 'ioasid', "'fd1' is not an IOASID"],
  [
    'unbound page request',
    { op: 'fault_respond', fd: 'fd1', ioasid: 'a1', code: 'success', cookie: 'r1' },
    'cookie',
    "'r1' is not a page request named by an earlier fault_read",
  ],
  [
    'an IOASID name used as a page request',
    { op: 'fault_respond', fd: 'fd1', ioasid: 'a1', code: 'success', cookie: 'a1' },
    'cookie',
    "'a1' is not a page request",
  ],
  [
    'literal cookie 0',
    { op: 'fault_respond', fd: 'fd1', ioasid: 'a1', code: 'success', cookie: 0 },
    'cookie',
    "must be a name bound by an earlier fault_read's 'as:' or a cookie, an integer in 1\\.\\.2147483647 \\(got 0\\)",
  ],
  ['literal IOASID negative', { op: 'destroy', fd: 'fd1', ioasid: -1 }, 'ioasid', 'a literal ioasid must be an integer in 0\\.\\.1048575'],
  ['literal IOASID 2^20', { op: 'destroy', fd: 'fd1', ioasid: 1048576 }, 'ioasid', 'a literal ioasid must be an integer'],
  ['literal IOASID a fraction', { op: 'destroy', fd: 'fd1', ioasid: 1.5 }, 'ioasid', 'a literal ioasid must be an integer'],
  ['DMA ops 0', { op: 'dma', device: 'dev1', ioasid: 'a1', ops: 0 }, 'ops', 'must be an integer in 1\\.\\.1000000'],
  ['DMA ops -1', { op: 'dma', device: 'dev1', ioasid: 'a1', ops: -1 }, 'ops', 'must be an integer in 1\\.\\.1000000'],
  ['DMA ops a word', { op: 'dma', device: 'dev1', ioasid: 'a1', ops: 'lots' }, 'ops', 'must be an integer'],
  [
    'DMA ops too many to finish',
    { op: 'dma', device: 'dev1', ioasid: 'a1', ops: 2147483647 },
    'ops',
    'must be an integer in 1\\.\\.1000000 \\(got 2147483647\\)',
  ],
  ['a seed written in the file', { op: 'dma', device: 'dev1', ioasid: 'a1', seed: 3 }, 'seed', "unknown field for op 'dma'"],
  ['pages of a page table negative', { op: 'bind_pgtbl', fd: 'fd1', ioasid: 'a1', pages: -5 }, 'pages', 'must be an integer'],
  ['as on an op with no value', { op: 'close', fd: 'fd1', as: 'x' }, 'as', "op 'close' has no value to name"],
  ['as not a name', { op: 'alloc', fd: 'fd1', as: '9 lives' }, 'as', 'must be a name'],
  ['unknown expect', { op: 'close', fd: 'fd1', expect: 'EWHATEVER' }, 'expect', 'must be ok, an errno name'],
  ['expect a number', { op: 'close', fd: 'fd1', expect: 0 }, 'expect', 'must be ok'],
  ['vcpu unknown', { op: 'set_msr', vcpu: 'vm1.7', vpasid: 1 }, 'vcpu', "unknown vcpu 'vm1.7'"],
  ['nowait not a name', { op: 'close', fd: 'fd1', nowait: 5 }, 'nowait', 'must be a name for the call in flight'],
  ['wait for an unknown name', { op: 'wait', for: 'c9' }, 'for', "no call in flight named 'c9'"],
  ['wait without for', { op: 'wait' }, 'for', 'must be the name of a call sent with nowait'],
];

/** Calls in flight at once used wrongly: the steps appended to the good file, the step and field named, the message. */
const IN_FLIGHT_EDITS: readonly (readonly [string, readonly Record<string, unknown>[], number, string, string])[] = [
  ['a call sent nowait and never waited for', [{ op: 'alloc', fd: 'fd1', nowait: 'c1' }], 2, 'nowait', "the call 'c1' is never waited for"],
  [
    'wait twice for one call',
    [
      { op: 'alloc', fd: 'fd1', nowait: 'c1' },
      { op: 'wait', for: 'c1' },
      { op: 'wait', for: 'c1' },
    ],
    4,
    'for',
    "'c1' was already waited for at step 3",
  ],
  [
    'a name bound by a call in flight used before its wait',
    [
      { op: 'alloc', fd: 'fd1', as: 'a2', nowait: 'c1' },
      { op: 'destroy', fd: 'fd1', ioasid: 'a2' },
      { op: 'wait', for: 'c1' },
    ],
    3,
    'ioasid',
    "'a2' is bound by the answer of the call 'c1', sent nowait: wait for it first",
  ],
  [
    'two calls in flight under one name',
    [
      { op: 'alloc', fd: 'fd1', nowait: 'c1' },
      { op: 'alloc', fd: 'fd1', nowait: 'c1' },
      { op: 'wait', for: 'c1' },
    ],
    3,
    'nowait',
    "a call named 'c1' is in flight already \\(sent at step 2\\)",
  ],
  [
    'an expect on the wait',
    [
      { op: 'alloc', fd: 'fd1', nowait: 'c1' },
      { op: 'wait', for: 'c1', expect: 'ok' },
    ],
    3,
    'expect',
    "unknown field for op 'wait'",
  ],
];

const json = (doc: unknown) => JSON.stringify(doc);

/** Deeply nested flow sequences: [[[[...]]]]. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** YAML whose aliases expand to 9^12 nodes: the classic "billion laughs". */
const aliasBomb = () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\nsteps: *a11\n`;
};

/** Files wrong before any field is read: unreadable, too big, not YAML/JSON, or hostile. */
const WHOLE_FILE: readonly FileCase[] = [
  { name: 'a FIFO (never opened for a blocking read)', file: 'pipe.yaml', content: 'fifo', line: /not a regular file/ },
  { name: 'a file over 1 MiB', file: 'huge.yaml', content: `# ${'x'.repeat(MAX_INPUT_BYTES)}\nsteps: []\n`, line: /more than the limit of 1048576/ },
  { name: 'a YAML alias bomb', file: 'bomb.yaml', content: aliasBomb(), line: /too many YAML aliases/ },
  { name: 'YAML nested too deep', file: 'deep.yaml', content: `steps: ${nested(200)}\n`, line: /nested more than 64 levels deep/ },
  {
    name: 'YAML nested deep enough to overflow a parser',
    file: 'deeper.yaml',
    content: `steps: ${nested(100_000)}\n`,
    line: /nested more than 64 levels deep/,
  },
  { name: 'JSON nested too deep', file: 'deep.json', content: `{"steps": ${nested(100_000)}}`, line: /nested more than 64 levels deep/ },
  {
    name: 'YAML syntax error',
    file: 'syntax.yaml',
    content: 'steps:\n  - { op: open, vm: vm1 }\n   - { op: alloc }\n',
    line: /:3: YAML syntax error at line 3/,
  },
  { name: 'YAML duplicate key', file: 'dup.yaml', content: 'steps: []\nsteps: []\n', line: /YAML syntax error.*[Mm]ap keys must be unique/ },
  { name: 'YAML with a tab indent', file: 'tab.yaml', content: 'steps:\n\t- { op: open, vm: vm1 }\n', line: /YAML syntax error/ },
  { name: 'JSON syntax error', file: 'syntax.json', content: '{ "steps": [ { "op": "open" }, ] ', line: /JSON syntax error/ },
  { name: 'JSON with trailing text', file: 'trailing.json', content: '{ "steps": [] } {}', line: /JSON syntax error/ },
  { name: 'an empty file', file: 'empty.yaml', content: '', line: /must be a mapping \(got null\)/ },
  { name: 'a scalar document', file: 'scalar.yaml', content: 'hello\n', line: /must be a mapping \(got "hello"\)/ },
  { name: 'a list document', file: 'list.json', content: '[{"op":"open"}]', line: /must be a mapping/ },
  { name: 'binary garbage', file: 'garbage.json', content: '\u0000\u0001\u0002\u00ff', line: /JSON syntax error/ },
];

export const SEQUENCE_CASES: readonly FileCase[] = [
  ...WHOLE_FILE,
  ...FIELD_EDITS.map(([name, path, value, line], i): FileCase => ({ name, file: `field-${i}.json`, content: json(edited(path, value)), line })),
  ...STEP_EDITS.map(([name, s, f, msg], i): FileCase => ({ name, file: `step-${i}.json`, content: json(withStep(s)), line: step(2, f, msg) })),
  ...IN_FLIGHT_EDITS.map(
    ([name, more, n, f, msg], i): FileCase => ({
      name,
      file: `in-flight-${i}.json`,
      content: json({ ...structuredClone(GOOD), steps: [...GOOD.steps, ...more] }),
      line: step(n, f, msg),
    }),
  ),
  // The same mistakes in YAML name the same step and field.
  ...STEP_EDITS.slice(0, 6).map(
    ([name, s, f, msg], i): FileCase => ({ name: `${name} (YAML)`, file: `step-${i}.yaml`, content: `${yamlOf(withStep(s))}`, line: step(2, f, msg) }),
  ),
];

/** JSON is YAML: a flow-style document. */
function yamlOf(doc: unknown): string {
  return `${JSON.stringify(doc, null, 1)}\n`;
}
