// A violation the engines saw names the sequence step during which the access landed, not the
// one during which the auditor happened to read the anomaly log. Here it reads the log only at
// the last step (`check`: no timer polls), long after the background job's accesses landed.
import { expect } from 'chai';
import { JC, JC_STRIDE } from '../../hardware/layout.js';
import { machineNames } from '../../machine/names.js';
import { parseSequence } from '../../sequence/file.js';
import { runStep } from '../../sequence/runner.js';
import { Prng } from '../../sim/prng.js';
import { Simulation } from '../../sim/simulation.js';

// With skip-iotlb-flush, DISALLOW leaves the IOTLB warm: job j1 keeps landing until `stop`.
const SEQUENCE = `
machine:
  vms:
    - { name: vm1, pages: 64, devices: [{ name: dev1 }] }
steps:
  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1 }
  - { op: bind_pgtbl, fd: fd1, ioasid: a1, pages: 16 }
  - { op: allow, device: dev1, fd: fd1, ioasid: a1 }
  - { op: dma_start, device: dev1, ioasid: a1, as: j1 }
  - { op: dma, device: dev1, ioasid: a1, ops: 5000 }
  - { op: disallow, device: dev1, fd: fd1, ioasid: a1 }
  - { op: pasid_state, ioasid: a1 }
  - { op: stop, job: j1 }
  - { op: check }
`;
const HOUR_MS = 3_600_000;
const settle = () => new Promise((r) => setTimeout(r, 3));

describe('a DMA violation names the step during which the access landed', function () {
  this.timeout(60_000);

  it('a background job landing after DISALLOW is reported at a step from DISALLOW to stop, not at the later check', async () => {
    const seq = parseSequence(SEQUENCE, 'background-dma.yaml');
    const sim = new Simulation({ spec: { ...seq.machine, mutant: 'skip-iotlb-flush' }, seed: 1, pollMs: HOUR_MS });
    const [prng, names, bindings] = [new Prng(1), machineNames(seq.machine), new Map<string, number>()];
    try {
      const landed = () => sim.machine.hw.jobCounts[bindings.get('j1')! * JC_STRIDE + JC.LANDED]!;
      // As the sequence runner does: the monitor knows the step before it runs.
      let afterDisallow = -1;
      for (const step of seq.steps) {
        // The engine threads start with the first job: let j1 land (and warm its IOTLB) first.
        while (step.op === 'disallow' && landed() === 0) await settle();
        // Then let it land again after DISALLOW returned (through the stale IOTLB), however
        // little CPU a loaded machine gives its engine thread; a generous bound, not a rate.
        const deadline = Date.now() + 20_000;
        while (afterDisallow >= 0 && landed() === afterDisallow && Date.now() < deadline) await settle();
        afterDisallow = -1;
        sim.monitor.step = step.index;
        await runStep(sim, prng, step, names, bindings);
        if (step.op === 'disallow') afterDisallow = landed();
      }
    } finally {
      await sim.finish();
    }
    const at = (op: string) => seq.steps.find((s) => s.op === op)!.index;
    const steps = sim.violations.filter((v) => v.invariant === 'dma-after-teardown').map((v) => v.step);
    expect(steps).to.not.be.empty;
    for (const s of steps) expect(s).to.be.within(at('disallow'), at('stop'));
  });
});
