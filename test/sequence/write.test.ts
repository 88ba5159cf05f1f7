// The sequence-file writer against the parser: what toSequenceYaml writes, parseSequence reads
// back as the same steps (names, literal PASIDs, `as:`, `expect`, `expect_value`, steps without
// an expect, calls sent `nowait` and their `wait`) on the same machine, header comment and seed included.
import { expect } from 'chai';
import { DEFAULT_PARAMS, gridMachine } from '../../scenarios/scenario.js';
import { parseSequence } from '../../sequence/file.js';
import { type RecordedStep, machineDocOf, machineSpecOf, toSequenceYaml } from '../../sequence/write.js';

const STEPS: RecordedStep[] = [
  { op: 'open', args: { vm: 'vm1' }, as: 'fd1', expect: 'ok' },
  { op: 'alloc', args: { fd: 'fd1' }, as: 'a1', expect: 'ok', expectValue: 1 },
  { op: 'bind_pgtbl', args: { fd: 'fd1', ioasid: 'a1', pages: 8 }, as: null, expect: null },
  { op: 'allow', args: { device: 'vm1-dev1', fd: 'fd1', ioasid: 'a1' }, as: null, expect: 'ok' },
  { op: 'dma_start', args: { device: 'vm1-dev1', ioasid: 'a1', min_landed: 1 }, as: 'j1', expect: 'ok' },
  { op: 'dma', args: { device: 'vm2-dev2', ioasid: 77, ops: 10 }, as: null, expect: 'fault' },
  { op: 'stop', args: { job: 'j1' }, as: null, expect: null, expectValue: { landed: 0 } },
  { op: 'pasid_state', args: { ioasid: 'a1' }, as: null, expect: null, expectValue: 'in-use' },
  // Two calls in flight at once: the second alloc is sent, the disallow runs meanwhile.
  { op: 'alloc', args: { fd: 'fd1' }, as: 'a2', expect: 'ok', nowait: 'c1' },
  { op: 'disallow', args: { device: 'vm1-dev1', fd: 'fd1', ioasid: 'a1' }, as: null, expect: 'ok', nowait: 'c2' },
  { op: 'wait', args: { for: 'c1' }, as: null, expect: null },
  { op: 'destroy', args: { fd: 'fd1', ioasid: 'a2' }, as: null, expect: null },
  { op: 'wait', args: { for: 'c2' }, as: null, expect: null },
];

describe('sequence/write: the writer and the parser agree', () => {
  const spec = gridMachine({ ...DEFAULT_PARAMS, vms: 2, devices: 2 }, { pagesPerVm: 100, pri: true });
  const machine = machineDocOf(spec);
  const text = toSequenceYaml({ name: 'round trip', seed: 7, machine, steps: STEPS, comment: ['first line', 'second line'] });
  const seq = parseSequence(text, 'round-trip.yaml');

  it('the steps read back as written', () => {
    expect(seq.name).to.equal('round trip');
    expect(seq.seed).to.equal(7);
    expect(
      seq.steps.map((s) => ({
        op: s.op,
        args: s.args,
        as: s.as,
        expect: s.expect,
        ...(s.hasExpectValue ? { expectValue: s.expectValue } : {}),
        ...(s.nowait !== undefined ? { nowait: s.nowait } : {}),
      })),
    ).to.deep.equal(STEPS);
  });

  it("the machine reads back as the run's, as far as a file can say it", () => {
    const { workers: _w, mutant: _m, replyTimeoutMs: _r, landingLatencyUs: _l, pasidLeaves: _p, pgtables: _g, ...said } = spec;
    expect(seq.machine).to.deep.include(said);
    expect(machineSpecOf(machine)).to.deep.equal(seq.machine);
  });

  it('one step per line, under the header comment', () => {
    expect(text).to.match(/^# first line\n# second line\n/);
    expect(text).to.include('  - { op: allow, device: vm1-dev1, fd: fd1, ioasid: a1, expect: ok }\n');
    expect(text.split('\n').filter((l) => l.startsWith('  - { op:'))).to.have.length(STEPS.length);
  });
});
