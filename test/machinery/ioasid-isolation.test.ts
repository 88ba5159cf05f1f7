// Page ownership per IOASID (docs/invariants.md#ioasid-isolation): an access through a PASID may
// reach only IOVA pages its IOASID's address space maps, as the auditor saw MAP and UNMAP. The
// VM-level isolation check cannot see a page of the right VM reached through the wrong IOASID.
import { expect } from 'chai';
import { walkPasid } from '../../hardware/pasid-table.js';
import type { Simulation } from '../../sim/simulation.js';
import { value, vm, withSim } from '../helpers.js';

const spec = { vms: [vm('vm1', ['dev1'], { pages: 32 })] };

/** Two IOASIDs of one FD on dev1, each with IOVA pages 0..3 mapped through MAP. */
async function twoSpaces(sim: Simulation) {
  const m = sim.machine;
  const fd = value(await m.invoke('open', { vm: 0 }));
  const a = value(await m.invoke('alloc', { fd }));
  const b = value(await m.invoke('alloc', { fd }));
  for (const ioasid of [a, b]) {
    value(await m.invoke('map', { fd, ioasid, iova: 0, pages: 4 }));
    value(await m.invoke('allow', { device: 0, fd, ioasid }));
  }
  return { fd, a, b };
}

const counts = (sim: Simulation) => Object.fromEntries(sim.monitor.counts);

describe('ioasid-isolation', function () {
  this.timeout(60000);

  it("catches an access through IOASID b to pages the kernel put in b's table for a MAP of a (the VM-level check sees nothing)", async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const { fd, a, b } = await twoSpaces(sim);
      // A MAP of a's IOVA pages 8..9 that a buggy kernel routes into b's page table: the calls
      // say a mapped them; the hardware has them in b. Same VM's pages, so isolation is silent.
      value(await m.invoke('map', { fd, ioasid: a, iova: 4, pages: 6 }));
      const tableB = walkPasid(m.hw, 0, b);
      expect(tableB).to.be.at.least(0);
      const { pgtables } = m.env.host;
      expect(pgtables.map(tableB, 8, 2)).to.equal(null);
      value(await m.invoke('dma', { device: 0, ioasid: b, ops: 2000 }));
      await sim.monitor.check();
      const c = counts(sim);
      expect(c['ioasid-isolation'], JSON.stringify(c)).to.be.greaterThan(0);
      expect(c.isolation, 'every page reached is vm1 memory').to.equal(undefined);
      expect(sim.monitor.violations[0]!.detail).to.match(/through PASID \d+ at IOVA page (8|9), which IOASID \d+'s address space does not map/);
    });
  });

  it('stays silent for the same DMA when the pages came through a MAP of b, and after an UNMAP that returned', async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const { fd, b } = await twoSpaces(sim);
      value(await m.invoke('map', { fd, ioasid: b, iova: 8, pages: 2 }));
      value(await m.invoke('dma', { device: 0, ioasid: b, ops: 2000 }));
      value(await m.invoke('unmap', { fd, ioasid: b, iova: 8, pages: 2 }));
      value(await m.invoke('dma', { device: 0, ioasid: b, ops: 2000 }));
      await sim.monitor.check();
      expect(sim.monitor.violations).to.deep.equal([]);
    });
  });
});
