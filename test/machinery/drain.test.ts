// The drain protocol on real threads: once DISALLOW or DESTROY has returned, not one access
// lands through that PASID. Judged from the job's own landed counter, not by the monitor.
import { expect } from 'chai';
import { JC, JC_STRIDE } from '../../hardware/layout.js';
import { Simulation } from '../../sim/simulation.js';
import { defaultMachineSpec } from '../../machine/spec.js';
import { runScenario, DEFAULT_PARAMS } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { eventually, value, vm, withSim } from '../helpers.js';

const landedOf = (sim: Simulation, job: number) => sim.machine.hw.jobCounts[job * JC_STRIDE + JC.LANDED]!;
const settle = () => new Promise((r) => setTimeout(r, 3));

describe('drain protocol (real threads)', () => {
  for (const how of ['disallow', 'destroy'] as const) {
    it(`no access lands after ${how.toUpperCase()} returns, over 150 repetitions`, async function () {
      this.timeout(60000);
      await withSim({ vms: [vm('vm1', ['d0'])], landingLatencyUs: 300 }, async (sim) => {
        const m = sim.machine;
        const fd = value(await m.invoke('open', { vm: 0 }));
        let landedBefore = 0;
        for (let i = 0; i < 150; i++) {
          const p = value(await m.invoke('alloc', { fd }));
          value(await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: 8 }));
          value(await m.invoke('allow', { device: 0, fd, ioasid: p }));
          const job = value(await m.invoke('dma_start', { device: 0, ioasid: p, seed: i + 1 }));
          while (landedOf(sim, job) === 0) await settle(); // DMA is really landing when teardown starts
          value(how === 'disallow' ? await m.invoke('disallow', { device: 0, fd, ioasid: p }) : await m.invoke('destroy', { fd, ioasid: p }));
          const atReturn = landedOf(sim, job);
          landedBefore += atReturn;
          await settle();
          expect(landedOf(sim, job), `repetition ${i}: an access landed after ${how} returned`).to.equal(atReturn);
          await m.invoke('stop', { job });
          if (how === 'disallow') value(await m.invoke('destroy', { fd, ioasid: p }));
          else value(await m.invoke('disallow', { device: 0, fd, ioasid: p }));
        }
        expect(landedBefore).to.be.greaterThan(150);
        await sim.monitor.check();
        expect(sim.violations).to.deep.equal([]);
      });
    });
  }

  it('a crashed worker fails the run with a clear message instead of hanging it', async function () {
    this.timeout(60000);
    const sim = new Simulation({ spec: defaultMachineSpec({ crashEngine: 1 }), seed: 1 });
    try {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const p = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: 4 }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: p }));
      await m.invoke('dma', { device: 0, ioasid: p, ops: 100 }); // starts the engines; engine 1 dies as it starts
      await eventually(() => sim.engineFailure !== null);
      expect(sim.engineFailure).to.match(/engine 1 failed: .*crashed on purpose/);
      const dma = await m.invoke('dma', { device: 0, ioasid: p, ops: 100 });
      expect(dma.ok ? 'ok' : dma.errno, 'new DMA is refused with the failure').to.equal('EIO');
      // Teardown waits on the engines that still run: it must answer, not hang. It may complete
      // (the surviving engine acknowledged everything) or fail with the crash.
      const r = await m.invoke('disallow', { device: 0, fd, ioasid: p });
      expect(r.ok ? 'ok' : r.errno).to.be.oneOf(['ok', 'EIO']);
    } finally {
      await sim.finish();
    }
  });

  it('a scenario whose worker crashes reports the error and exits not-ok', async function () {
    this.timeout(30000);
    const crashing = { ...teardownRace, machine: (p: typeof DEFAULT_PARAMS) => ({ ...teardownRace.machine(p), crashEngine: 0 }) };
    const r = await runScenario(crashing, { ...DEFAULT_PARAMS, durationSec: 1 });
    expect(r.ok).to.equal(false);
    expect(r.error).to.match(/engine 0 failed/);
  });
});
