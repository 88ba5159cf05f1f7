// Every kind of bad input exits 2 with exactly one line on stderr that names what is wrong and
// where (file, step, field, or the flag), nothing on stdout, and never a stack trace.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli-process.js';

const MACHINE = `machine:
  vms:
    - name: vm1
      devices:
        - { name: dev1 }
`;
const STEPS_OK = `  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1 }
`;

/** Sequence files with one mistake each: file name -> content. */
const FILES: Record<string, string> = {
  'unknown-op.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: frobnicate }\n`,
  'unknown-device.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: allow, device: dev9, fd: fd1, ioasid: a1 }\n`,
  'unbound-name.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: bind_pgtbl, fd: fd1, ioasid: a7 }\n`,
  'missing-arg.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: destroy, fd: fd1 }\n`,
  'wrong-type.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: dma, device: dev1, ioasid: a1, ops: lots }\n`,
  'unknown-field.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: close, fd: fd1, colour: red }\n`,
  'bad-expect.yaml': `${MACHINE}steps:\n${STEPS_OK}  - { op: close, fd: fd1, expect: EWHATEVER }\n`,
  'bad-machine.yaml': `machine:\n  pasidBits: 40\nsteps:\n${STEPS_OK}`,
  'not-a-step.yaml': `${MACHINE}steps:\n  - open\n`,
  // Line 4 starts a list item one column to the right of the one above.
  'huge-burst.yaml':
    'steps:\n  - { op: open, vm: vm1, as: fd1 }\n  - { op: alloc, fd: fd1, as: a1 }\n  - { op: bind_pgtbl, fd: fd1, ioasid: a1 }\n  - { op: allow, device: dev1, fd: fd1, ioasid: a1 }\n  - { op: dma, device: dev1, ioasid: a1, ops: 2147483647 }\n',
  'yaml-syntax.yaml': `name: broken\nsteps:\n  - { op: open, vm: vm1, as: fd1 }\n   - { op: alloc, fd: fd1 }\n`,
  'json-syntax.json': '{ "steps": [ { "op": "open", "vm": "vm1" }, ] ',
  'json-unbound.json': JSON.stringify({
    steps: [
      { op: 'open', vm: 'vm1', as: 'fd1' },
      { op: 'alloc', fd: 'fdX' },
    ],
  }),
  // A deterministic report naming a strategy no build has.
  'unknown-strategy.json': JSON.stringify({
    tool: 'ioasid-sim',
    kind: 'run',
    scenario: 'teardown-race',
    mutant: null,
    seed: 1,
    mode: 'deterministic',
    schedule: { strategy: 'dfs', pctDepth: 3, steps: 10, pathHash: 0 },
    violations: [],
  }),
};

interface Case {
  readonly name: string;
  readonly args: (dir: string) => string[];
  readonly names: (dir: string) => string[];
}

const seq = (file: string) => (dir: string) => ['seq', join(dir, file)];
const CASES: Case[] = [
  { name: 'unknown op', args: seq('unknown-op.yaml'), names: (d) => [join(d, 'unknown-op.yaml'), "step 2, field 'op'", "unknown op 'frobnicate'"] },
  { name: 'unknown device name', args: seq('unknown-device.yaml'), names: () => ["step 2, field 'device'", "unknown device 'dev9'"] },
  { name: 'name never bound by as:', args: seq('unbound-name.yaml'), names: () => ["step 2, field 'ioasid'", "'a7'"] },
  { name: 'missing argument', args: seq('missing-arg.yaml'), names: () => ["step 2, field 'ioasid'", 'missing argument'] },
  { name: 'wrong argument type', args: seq('wrong-type.yaml'), names: () => ["step 2, field 'ops'", 'must be an integer in 1..1000000'] },
  { name: 'a DMA burst too large to finish', args: seq('huge-burst.yaml'), names: () => ["step 4, field 'ops'", '1..1000000', '2147483647'] },
  { name: 'unknown field in a step', args: seq('unknown-field.yaml'), names: () => ["step 2, field 'colour'"] },
  { name: 'bad expect value', args: seq('bad-expect.yaml'), names: () => ["step 2, field 'expect'", 'EWHATEVER'] },
  { name: 'bad machine field', args: seq('bad-machine.yaml'), names: () => ['machine.pasidBits', '1..20'] },
  { name: 'a step that is not a mapping', args: seq('not-a-step.yaml'), names: () => ['step 0'] },
  {
    name: 'YAML syntax error, with its line',
    args: seq('yaml-syntax.yaml'),
    names: (d) => [`${join(d, 'yaml-syntax.yaml')}:4:`, 'YAML syntax error at line 4'],
  },
  { name: 'bad JSON', args: seq('json-syntax.json'), names: (d) => [join(d, 'json-syntax.json'), 'JSON syntax error'] },
  { name: 'unbound name in a JSON file', args: seq('json-unbound.json'), names: () => ["step 1, field 'fd'", "'fdX'"] },
  { name: 'unreadable file', args: (d) => ['seq', join(d, 'absent.yaml')], names: (d) => [join(d, 'absent.yaml'), 'no such file'] },
  { name: 'a directory instead of a file', args: (d) => ['seq', d], names: (d) => [d, 'is a directory'] },
  { name: 'unknown scenario', args: () => ['run', 'no-such-scenario'], names: () => ["unknown scenario 'no-such-scenario'", 'teardown-race'] },
  {
    name: 'unknown mutant',
    args: () => ['run', 'teardown-race', '--mutant', 'skip-everything'],
    names: () => ['--mutant', 'skip-everything', 'unknown mutant'],
  },
  { name: 'unknown flag', args: () => ['run', 'teardown-race', '--frobnicate'], names: () => ["unknown option '--frobnicate'"] },
  { name: 'misspelt flag', args: () => ['run', 'teardown-race', '--sed', '3'], names: () => ["unknown option '--sed'", '--seed'] },
  { name: 'bad seed', args: () => ['run', 'teardown-race', '--seed', 'abc'], names: () => ['--seed', "'abc'"] },
  { name: 'seed out of range', args: () => ['run', 'teardown-race', '--seed', '4294967296'], names: () => ['--seed', '4294967296'] },
  { name: 'zero workers', args: () => ['run', 'teardown-race', '--workers', '0'], names: () => ['--workers', "'0'"] },
  { name: 'negative duration', args: () => ['run', 'teardown-race', '--duration', '-1'], names: () => ['--duration', "'-1'"] },
  { name: 'empty seed range', args: () => ['sweep', 'teardown-race', '--seeds', '5..2'], names: () => ['--seeds', '5..2', 'empty'] },
  { name: 'malformed seed range', args: () => ['sweep', 'teardown-race', '--seeds', '1-5'], names: () => ['--seeds', 'A..B'] },
  { name: 'missing --seeds', args: () => ['sweep', 'teardown-race'], names: () => ['--seeds'] },
  { name: 'shard beyond the count', args: () => ['sweep', 'teardown-race', '--seeds', '1..4', '--shard', '3/2'], names: () => ['--shard', '3/2'] },
  { name: 'shard zero', args: () => ['sweep', 'teardown-race', '--seeds', '1..4', '--shard', '0/2'], names: () => ['--shard', '0/2'] },
  {
    name: '--pct-depth with the random strategy',
    args: () => ['run', 'teardown-race', '--mode', 'deterministic', '--pct-depth', '3'],
    names: () => ['--pct-depth', '--strategy pct'],
  },
  {
    name: 'replay of a file that is not a report',
    args: () => ['replay', 'package.json'],
    names: () => ['package.json', 'not an ioasid-sim run or seq report'],
  },
  { name: 'replay of a file that is not JSON', args: () => ['replay', 'README.md'], names: () => ['README.md', 'JSON syntax error'] },
  {
    name: 'replay of a report with an unknown strategy',
    args: (d) => ['replay', join(d, 'unknown-strategy.json')],
    names: (d) => [join(d, 'unknown-strategy.json'), 'unknown strategy "dfs"'],
  },
  { name: 'failnth of a missing file', args: () => ['failnth', 'nope.yaml'], names: () => ['nope.yaml', 'no such file'] },
  { name: 'unknown mode', args: () => ['seq', 'sequences/agreed-order.yaml', '--mode', 'fast'], names: () => ['--mode', "'fast'"] },
  {
    name: '--strategy without deterministic mode',
    args: () => ['run', 'teardown-race', '--strategy', 'pct'],
    names: () => ['--strategy', '--mode deterministic'],
  },
  { name: 'unknown command', args: () => ['replay-all'], names: () => ["unknown command 'replay-all'"] },
  { name: 'no command', args: () => [], names: () => ['missing command'] },
  { name: 'missing scenario argument', args: () => ['run'], names: () => ["'scenario'"] },
  { name: 'extra argument', args: () => ['list', 'everything'], names: () => ['too many arguments'] },
  {
    name: 'trace into a missing directory',
    args: (d) => ['seq', 'sequences/agreed-order.yaml', '--trace', join(d, 'nowhere', 't.json')],
    names: (d) => ['--trace', join(d, 'nowhere')],
  },
  { name: 'diagram onto a directory', args: (d) => ['seq', 'sequences/agreed-order.yaml', '--diagram', d], names: () => ['--diagram', 'is a directory'] },
];

describe('CLI bad input: exit 2 and one line naming what and where', function () {
  this.timeout(20_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-bad-'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has at least 15 distinct cases', () => {
    expect(new Set(CASES.map((c) => c.name)).size).to.be.at.least(15);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const r = await cli(c.args(dir));
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines, r.stderr).to.have.length(1);
      expect(r.stderr).to.match(/^ioasid-sim: /);
      expect(r.stderr).not.to.match(/\bat .*:\d+:\d+/); // no stack frame
      for (const n of c.names(dir)) expect(lines[0]).to.include(n);
    });
  }
});
