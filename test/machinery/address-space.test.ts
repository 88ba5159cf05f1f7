// Address spaces that change (docs/model.md#address-spaces): MAP / UNMAP with the io_pagetable
// errnos, BIND_PGTBL as an empty address space plus one MAP, the unmap order's invalidations on
// each unit (device TLB only for ATS devices), pages freed only by UNMAP, and MM_EXIT.
import { expect } from 'chai';
import { INV, INV_QUEUE, INV_STRIDE, InvKind, invTailWord } from '../../hardware/layout.js';
import type { Simulation } from '../../sim/simulation.js';
import { errno, value, vm, withSim } from '../helpers.js';

const twoUnits = {
  iommus: 2,
  vms: [vm('vm1', ['ats', 'plain'], { pages: 32 })],
};
/** The ats device on iommu0 with ATS, the plain one on iommu1 without. */
const spec = {
  ...twoUnits,
  vms: [
    {
      ...twoUnits.vms[0]!,
      devices: [
        { ...twoUnits.vms[0]!.devices[0]!, iommu: 0, ats: true },
        { ...twoUnits.vms[0]!.devices[1]!, iommu: 1, ats: false },
      ],
    },
  ],
};

/** The kinds of the descriptors posted to `unit`'s queue since `from`. */
function posted(sim: Simulation, unit: number, from: number): number[] {
  const hw = sim.machine.hw;
  const tail = Atomics.load(hw.invCtrl, invTailWord(unit));
  const kinds: number[] = [];
  for (let s = from; s < tail; s++) kinds.push(hw.invQueue[(unit * INV_QUEUE + (s % INV_QUEUE)) * INV_STRIDE + INV.KIND]!);
  return kinds;
}
const tails = (sim: Simulation) => [0, 1].map((u) => Atomics.load(sim.machine.hw.invCtrl, invTailWord(u)));

describe('address spaces: map, unmap, mm_exit', () => {
  it('answers the io_pagetable errnos: EINVAL, EEXIST, ENOENT', async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 1 })), 'no address space yet').to.equal('ENOENT');
      value(await m.invoke('map', { fd, ioasid: a, iova: 0, pages: 4 }));
      value(await m.invoke('map', { fd, ioasid: a, iova: 4, pages: 4 }));
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 8, pages: 0 })), 'empty').to.equal('EINVAL');
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 61, pages: 4 })), 'past the end').to.equal('EINVAL');
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: -1, pages: 1 })), 'negative').to.equal('EINVAL');
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 1.5, pages: 1 })), 'not a whole page').to.equal('EINVAL');
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 0 })), 'empty unmap').to.equal('EINVAL');
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 3, pages: 2 })), 'overlap').to.equal('EEXIST');
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 8, pages: 64 - 8 })), 'more pages than the VM has left').to.equal('ENOMEM');
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 8, pages: 8 })), 'nothing mapped').to.equal('ENOENT');
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 2, pages: 4 })), 'would split').to.equal('ENOENT');
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 2 })), 'a part of one mapping').to.equal('ENOENT');
      expect(m.env.host.pages.freeCount(0)).to.equal(24);
      value(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 8 })); // both mappings, whole
      expect(m.env.host.pages.freeCount(0), 'the pages are free again').to.equal(32);
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 8 })), 'unmapped twice').to.equal('ENOENT');
      const other = value(await m.invoke('open', { vm: 0 }));
      expect(errno(await m.invoke('map', { fd: other, ioasid: a, iova: 0, pages: 1 })), "another FD's IOASID").to.equal('ENOENT');
      expect(errno(await m.invoke('map', { fd, ioasid: 0, iova: 0, pages: 1 })), 'PASID 0').to.equal('EINVAL');
    });
  });

  it('BIND_PGTBL is an empty address space and one MAP at IOVA 0', async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 4 }));
      expect(errno(await m.invoke('map', { fd, ioasid: a, iova: 0, pages: 1 }))).to.equal('EEXIST');
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 4 }))).to.equal('EBUSY');
      value(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 4 }));
      value(await m.invoke('map', { fd, ioasid: a, iova: 0, pages: 2 }));
      const b = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('map', { fd, ioasid: b, iova: 0, pages: 2 }));
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: b, pages: 4 })), 'MAP gave it an address space').to.equal('EBUSY');
      // A failed first MAP leaves no address space behind.
      const c = value(await m.invoke('alloc', { fd }));
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: c, pages: 64 }))).to.equal('ENOMEM');
      value(await m.invoke('bind_pgtbl', { fd, ioasid: c, pages: 1 }));
      value(await m.invoke('close', { fd }));
      expect(m.env.host.pgtables.live).to.equal(0);
      expect(m.env.host.pages.freeCount(0)).to.equal(32);
    });
  });

  it('UNMAP flushes the range on each unit with an entry: IOTLB for every device, the device TLB only with ATS', async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('map', { fd, ioasid: a, iova: 0, pages: 4 }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      value(await m.invoke('allow', { device: 1, fd, ioasid: a }));
      const before = tails(sim);
      value(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 4 }));
      expect(posted(sim, 0, before[0]!), 'iommu0: the ATS device').to.deep.equal([InvKind.IOTLB, InvKind.DEVTLB]);
      expect(posted(sim, 1, before[1]!), 'iommu1: no device TLB to flush').to.deep.equal([InvKind.IOTLB]);
      const hw = m.hw;
      const slot = (before[0]! % INV_QUEUE) * INV_STRIDE;
      expect([hw.invQueue[slot + INV.IOVA], hw.invQueue[slot + INV.NPAGES]], 'the range').to.deep.equal([0, 4]);
      // The first MAP of an IOASID allowed before it had an address space: a present-to-present change.
      const b = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('allow', { device: 1, fd, ioasid: b }));
      const mid = tails(sim);
      value(await m.invoke('map', { fd, ioasid: b, iova: 0, pages: 1 }));
      expect(posted(sim, 1, mid[1]!)).to.deep.equal([InvKind.PASID_CACHE, InvKind.IOTLB]);
      expect(posted(sim, 0, mid[0]!), 'iommu0 holds no entry for it').to.deep.equal([]);
    });
  });

  it('MM_EXIT tears every device down, frees the pages and parks the PASID until the devices let go', async () => {
    await withSim(spec, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('map', { fd, ioasid: a, iova: 0, pages: 8 }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      value(await m.invoke('allow', { device: 1, fd, ioasid: a }));
      expect(value(await m.invoke('dma', { device: 0, ioasid: a, ops: 500 })).faulted).to.equal(0);
      value(await m.invoke('mm_exit', { vm: 0, ioasid: a }));
      expect(m.env.host.pages.freeCount(0)).to.equal(32);
      expect(value(await m.invoke('dma', { device: 0, ioasid: a, ops: 500 })).landed).to.equal(0);
      expect(value(await m.invoke('dma', { device: 1, ioasid: a, ops: 500 })).landed).to.equal(0);
      expect(value(await m.pasidState(a))).to.equal('parked');
      expect(errno(await m.invoke('mm_exit', { vm: 0, ioasid: a })), 'twice').to.equal('ENOENT');
      expect(errno(await m.invoke('unmap', { fd, ioasid: a, iova: 0, pages: 8 }))).to.equal('ENOENT');
      expect(errno(await m.invoke('destroy', { fd, ioasid: a }))).to.equal('ENOENT');
      value(await m.invoke('disallow', { device: 0, fd, ioasid: a }));
      expect(value(await m.pasidState(a))).to.equal('parked');
      value(await m.invoke('disallow', { device: 1, fd, ioasid: a }));
      expect(value(await m.pasidState(a))).to.equal('free');
      expect(errno(await m.invoke('mm_exit', { vm: 0, ioasid: 9 })), 'never allocated').to.equal('ENOENT');
      expect(sim.monitor.violations).to.deep.equal([]);
    });
  });
});
