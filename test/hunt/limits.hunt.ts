// The hunt at the machine's table limits a sequence file cannot set: a PASID-table pool of one
// leaf (64 entries), so the first device's ALLOW takes it and another device's ALLOW answers
// ENOMEM and takes nothing, while PASIDs of the same leaf keep installing and translating.
import { expect } from 'chai';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import { RANDOM } from './hunt.js';

const ONE_LEAF = `
name: one PASID-table leaf
seed: 1
machine:
  vms:
    - name: vm1
      pages: 64
      devices:
        - { name: dev1 }
        - { name: dev2 }
steps:
  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1 }
  - { op: bind_pgtbl, fd: fd1, ioasid: a1, pages: 8 }
  - { op: alloc, fd: fd1, as: a2 }
  - { op: bind_pgtbl, fd: fd1, ioasid: a2, pages: 8 }
  - { op: allow, device: dev1, fd: fd1, ioasid: a1, expect: ok }
  - { op: allow, device: dev2, fd: fd1, ioasid: a1, expect: ENOMEM }
  - { op: allow, device: dev1, fd: fd1, ioasid: a2, expect: ok }
  - { op: dma, device: dev1, ioasid: a1, ops: 500, expect: ok }
  - { op: dma, device: dev1, ioasid: a2, ops: 500, expect: ok }
  - { op: dma, device: dev2, ioasid: a1, ops: 100, expect: fault }
  - { op: disallow, device: dev2, fd: fd1, ioasid: a1, expect: ENOENT }
  - { op: disallow, device: dev1, fd: fd1, ioasid: a1, expect: ok }
  - { op: allow, device: dev1, fd: fd1, ioasid: a1, expect: ok }
  - { op: dma, device: dev1, ioasid: a1, ops: 500, expect: ok }
  - { op: check }
  - { op: close, fd: fd1, expect: ok }
`;

describe('hunt: the PASID-table pool runs out (deterministic)', function () {
  this.timeout(60_000);
  it('one leaf: a second device ALLOW is ENOMEM, the first keeps working', async () => {
    const seq = parseSequence(ONE_LEAF, 'one-leaf');
    const r = await runSequence({ ...seq, machine: { ...seq.machine, pasidLeaves: 1 } }, { mode: RANDOM });
    const unmet = (r.steps ?? []).filter((s) => !s.met).map((s) => `step ${s.index} (${s.op}) gave ${s.result}`);
    expect(r.verdict, [...unmet, ...r.violations.map((v) => v.detail), r.error ?? ''].join('; ')).to.equal('clean');
  });
});
