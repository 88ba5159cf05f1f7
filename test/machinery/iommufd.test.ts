// The iommufd design (machine.uapi: iommufd, docs/iommufd.md): attach / replace / detach per
// (device, PASID the VMM chose), their errnos, DESTROY's EBUSY and close(fd) deferred while a
// device holds the file.
import { expect } from 'chai';
import { DEFAULT_DEVICE } from '../../machine/spec.js';
import { THREADS } from '../../sim/mode.js';
import { expectClean } from '../../explore/regression.js';
import { InputError } from '../../input/input-error.js';
import { parseSequence } from '../../sequence/file.js';
import { errno, value, vm, withSim } from '../helpers.js';

const iommufd = {
  uapi: 'iommufd' as const,
  vms: [
    {
      ...vm('vm1', []),
      devices: [
        { name: 'dev1', ...DEFAULT_DEVICE, pasidBits: 4 },
        { name: 'nopasid', ...DEFAULT_DEVICE, pasid: false },
      ],
    },
    vm('vm2', ['dev2']),
  ],
};

describe('iommufd design', () => {
  it('attach errnos: PASID 0 and beyond the width EINVAL, duplicate EBUSY, another HWPT EINVAL, no PASID capability EOPNOTSUPP', async () => {
    await withSim(iommufd, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const fd2 = value(await m.invoke('open', { vm: 1 }));
      const h1 = value(await m.invoke('alloc', { fd }));
      const h2 = value(await m.invoke('alloc', { fd }));
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 3 })), 'no page table yet').to.equal('EINVAL');
      value(await m.invoke('bind_pgtbl', { fd, ioasid: h1, pages: 4 }));
      value(await m.invoke('bind_pgtbl', { fd, ioasid: h2, pages: 4 }));
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 0 })), 'PASID 0').to.equal('EINVAL');
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 16 })), 'beyond pasidBits 4').to.equal('EINVAL');
      expect(errno(await m.invoke('attach', { device: 1, fd, hwpt: h1, pasid: 3 })), 'no PASID capability').to.equal('EOPNOTSUPP');
      expect(errno(await m.invoke('attach', { device: 0, fd: fd2, hwpt: h1, pasid: 3 })), "another VM's FD").to.equal('EBADF');
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: 999, pasid: 3 })), 'unknown HWPT').to.equal('ENOENT');
      value(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 15 }));
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 15 })), 'duplicate').to.equal('EBUSY');
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h2, pasid: 15 })), 'PASID on another HWPT').to.equal('EINVAL');
      expect(errno(await m.invoke('attach', { device: 0, fd, hwpt: h1, pasid: 5 })), 'same device on the HWPT twice').to.equal('EBUSY');
      expect(errno(await m.invoke('detach', { device: 0, pasid: 5 })), 'nothing attached').to.equal('ENOENT');
      expect(errno(await m.invoke('replace', { device: 0, fd, hwpt: h2, pasid: 5 })), 'replace of nothing').to.equal('ENOENT');
      value(await m.invoke('replace', { device: 0, fd, hwpt: h1, pasid: 15 })); // same table: a no-op
      value(await m.invoke('replace', { device: 0, fd, hwpt: h2, pasid: 15 }));
      expect(errno(await m.invoke('destroy', { fd, ioasid: h2 })), 'HWPT in use').to.equal('EBUSY');
      value(await m.invoke('destroy', { fd, ioasid: h1 })); // unused since the replace
      value(await m.invoke('detach', { device: 0, pasid: 15 }));
      value(await m.invoke('destroy', { fd, ioasid: h2 }));
      expect(value(await m.pasidState(h2))).to.equal('free');
      await sim.monitor.check();
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('close(fd) while a device is attached releases nothing until the device detaches', async () => {
    await withSim(iommufd, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const h = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('bind_pgtbl', { fd, ioasid: h, pages: 16 }));
      value(await m.invoke('attach', { device: 0, fd, hwpt: h, pasid: 9 }));
      value(await m.invoke('close', { fd }));
      expect(errno(await m.invoke('alloc', { fd })), 'the number is closed at once').to.equal('EBADF');
      expect(value(await m.pasidState(h)), 'the HWPT lives on').to.equal('in-use');
      const dma = value(await m.invoke('dma', { device: 0, ioasid: 9, ops: 200 }));
      expect(dma.faulted, 'DMA still translates').to.equal(0);
      value(await m.invoke('detach', { device: 0, pasid: 9 }));
      expect(value(await m.pasidState(h)), 'released with the last device').to.equal('free');
      await sim.monitor.check();
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('UNMAP of a HWPT under running DMA flushes the PASID the VMM chose: nothing lands in the freed pages', async function () {
    this.timeout(60000);
    await withSim({ ...iommufd, landingLatencyUs: 200 }, async (sim) => {
      const m = sim.machine;
      await sim.enginesReady();
      const fd = value(await m.invoke('open', { vm: 0 }));
      const h = value(await m.invoke('alloc', { fd }));
      for (let iova = 0; iova < 16; iova++) value(await m.invoke('map', { fd, ioasid: h, iova, pages: 1 }));
      value(await m.invoke('attach', { device: 0, fd, hwpt: h, pasid: 9 }));
      const job = value(await m.invoke('dma_start', { device: 0, ioasid: 9, min_landed: 100 }));
      // Unmap and remap one page at a time while the IOTLB is warm and batches are in flight.
      for (let i = 0; i < 20; i++) {
        await sim.sleep(1, 'test');
        value(await m.invoke('unmap', { fd, ioasid: h, iova: i % 16, pages: 1 }));
        value(await m.invoke('map', { fd, ioasid: h, iova: i % 16, pages: 1 }));
      }
      expect(value(await m.invoke('stop', { job })).landed, 'DMA ran across the unmaps').to.be.above(0);
      value(await m.invoke('detach', { device: 0, pasid: 9 }));
      await sim.monitor.check();
      expect(sim.violations).to.deep.equal([]);
    });
  });

  // The entry-gap witness: an attached (device, PASID) must find its entry present until DETACH is called.
  for (const mutant of [null, 'replace-gap'] as const) {
    it(`replace under running DMA ${mutant ? 'with replace-gap faults between the two tables (entry-gap)' : 'keeps the entry present: no fault, nothing caught'}`, async function () {
      this.timeout(60000);
      await withSim({ ...iommufd, mutant, landingLatencyUs: 200 }, async (sim) => {
        const m = sim.machine;
        await sim.enginesReady(); // DMA must be running before the first replace
        const fd = value(await m.invoke('open', { vm: 0 }));
        const hwpts = [value(await m.invoke('alloc', { fd })), value(await m.invoke('alloc', { fd }))];
        for (const h of hwpts) value(await m.invoke('bind_pgtbl', { fd, ioasid: h, pages: 16 }));
        value(await m.invoke('attach', { device: 0, fd, hwpt: hwpts[0]!, pasid: 5 }));
        const job = value(await m.invoke('dma_start', { device: 0, ioasid: 5, min_landed: 200 }));
        // Each replace waits for the DMA batches in flight, so the job is caught mid-swap many times.
        for (let i = 0; i < 20; i++) {
          await sim.sleep(1, 'test');
          value(await m.invoke('replace', { device: 0, fd, hwpt: hwpts[(i + 1) % 2]!, pasid: 5 }));
        }
        const counts = value(await m.invoke('stop', { job }));
        expect(counts.landed, 'DMA ran across the replaces').to.be.above(0);
        value(await m.invoke('detach', { device: 0, pasid: 5 }));
        await sim.monitor.check();
        const gaps = sim.violations.filter((v) => v.invariant === 'entry-gap');
        if (mutant) expect(gaps.length, 'a batch found the entry absent mid-replace').to.be.above(0);
        else {
          expect(counts.faulted, 'not one access faulted').to.equal(0);
          expect(sim.violations).to.deep.equal([]);
        }
      });
    });
  }

  it('each design refuses the other one’s ops: attach under ioasid is EOPNOTSUPP', async () => {
    await withSim({}, async (sim) => {
      const fd = value(await sim.machine.invoke('open', { vm: 0 }));
      expect(errno(await sim.machine.invoke('attach', { device: 0, fd, hwpt: 1, pasid: 1 }))).to.equal('EOPNOTSUPP');
    });
  });

  it('a sequence file naming an op of the other design is refused before it runs', () => {
    const text = 'steps:\n  - { op: open, vm: vm1, as: fd1 }\n  - { op: detach, device: dev1, pasid: 3 }\n';
    expect(() => parseSequence(text, 'f.yaml'))
      .to.throw(InputError)
      .with.property('message', "f.yaml: step 1, field 'op': op 'detach' needs machine.uapi: iommufd");
    expect(parseSequence(`machine: { uapi: iommufd }\n${text}`, 'f.yaml').machine.uapi).to.equal('iommufd');
  });

  it('teardown-race --uapi iommufd (attach, replace under DMA, detach, EBUSY destroys) is clean', async function () {
    this.timeout(120000);
    const reports = [
      ...(await expectClean('teardown-race', { seeds: [1, 2], params: { durationSec: 0.03, uapi: 'iommufd' } })),
      ...(await expectClean('teardown-race', { seeds: [1], mode: THREADS, params: { durationSec: 1.5, uapi: 'iommufd' } })),
    ];
    for (const r of reports) {
      expect(r.outcomes.replace?.ok ?? 0, 'it replaced under DMA').to.be.above(0);
      expect(r.outcomes.destroy?.EBUSY ?? 0, 'DESTROY in use is EBUSY').to.be.above(0);
    }
  });

  it('unmap-race --uapi iommufd (attach at chosen PASIDs, unmap and remap under DMA, no process exits) is clean, deterministic and on threads', async function () {
    this.timeout(120000);
    const deterministic = await expectClean('unmap-race', { seeds: [1, 2], params: { durationSec: 0.03, uapi: 'iommufd' } });
    const threads = await expectClean('unmap-race', { seeds: [1], mode: THREADS, params: { durationSec: 1.5, uapi: 'iommufd' } });
    for (const r of [...deterministic, ...threads]) {
      expect(r.outcomes.attach?.ok ?? 0, 'its lanes attached').to.be.above(0);
      expect(r.outcomes.mm_exit, 'no process exits under iommufd').to.equal(undefined);
      expect(r.coverage.unmapsWithDmaInFlight, 'it unmapped under DMA').to.be.above(0);
    }
  });

  it('a page request at a PASID the VMM chose goes to the fault queue of the HWPT attached there, whose answer maps that HWPT', async () => {
    const pri = { uapi: 'iommufd' as const, vms: [{ ...vm('vm1', []), devices: [{ name: 'pri', ...DEFAULT_DEVICE, pri: true }] }] };
    await withSim(pri, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const hwpt = value(await m.invoke('alloc', { fd }));
      // Pages 0 and 3 mapped: the DMA spans the HWPT's table, whose holes ask for pages.
      for (const iova of [0, 3]) value(await m.invoke('map', { fd, ioasid: hwpt, iova, pages: 1 }));
      value(await m.invoke('fault_queue', { fd, ioasid: hwpt }));
      const pasid = 9;
      expect(pasid, 'a PASID that is not the HWPT id').to.not.equal(hwpt);
      value(await m.invoke('attach', { device: 0, fd, hwpt, pasid }));
      const job = value(await m.invoke('dma_start', { device: 0, ioasid: pasid, seed: 1 }));
      const answered = value(await m.invoke('fault_respond', { fd, ioasid: hwpt, code: 0 }));
      expect(answered.device, 'the request of the device attached there').to.equal(0);
      expect([1, 2], 'a hole of the HWPT').to.include(answered.iova);
      const again = await m.invoke('map', { fd, ioasid: hwpt, iova: answered.iova, pages: 1 });
      expect(errno(again), 'the answer mapped the page in the HWPT attached at the PASID').to.equal('EEXIST');
      value(await m.invoke('stop', { job }));
      value(await m.invoke('detach', { device: 0, pasid }));
      value(await m.invoke('destroy', { fd, ioasid: hwpt }));
      value(await m.invoke('close', { fd }));
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('iopf --uapi iommufd attaches at PASIDs its lanes chose and is clean, deterministic and on threads; enqcmd --uapi iommufd (attaching natively) is clean deterministic, with KVM clears done', async function () {
    this.timeout(120000);
    const deterministic = await expectClean('iopf', { seeds: [1, 2, 3], params: { durationSec: 0.05, uapi: 'iommufd' } });
    const threads = await expectClean('iopf', { seeds: [1], mode: THREADS, params: { durationSec: 1.5, uapi: 'iommufd' } });
    for (const r of [...deterministic, ...threads]) {
      expect(r.coverage.teardownsWithPageRequests, 'teardowns with page requests pending').to.be.above(0);
      expect(r.outcomes.fault_respond?.ok ?? 0, 'answered page requests').to.be.above(0);
      expect(r.outcomes.attach?.ok ?? 0, 'attached').to.be.above(0);
      expect(r.outcomes.detach?.ok ?? 0, 'detached').to.be.above(0);
      expect(r.outcomes.allow, 'no bridge').to.equal(undefined);
      expect(r.outcomes.destroy?.EBUSY ?? 0, 'DESTROYs while attached').to.be.above(0);
    }
    for (const r of await expectClean('enqcmd', { seeds: [1, 2, 3], params: { durationSec: 0.3, uapi: 'iommufd' } })) {
      expect(r.outcomes.kvm_clear_pasid?.ok ?? 0, 'KVM clears').to.be.above(0);
      // Its lanes speak iommufd: attach at the HWPT's id, detach, DESTROY again after an EBUSY one.
      expect(r.outcomes.attach?.ok ?? 0, 'attached').to.be.above(0);
      expect(r.outcomes.detach?.ok ?? 0, 'detached').to.be.above(0);
      expect(r.outcomes.allow, 'no bridge').to.equal(undefined);
      expect(r.outcomes.destroy?.EBUSY ?? 0, 'DESTROYs while in use').to.be.above(0);
    }
  });

  it('teardown-storm --uapi iommufd (attach at lane PASIDs, DETACH racing DESTROY and close(fd)) is clean, deterministic and on threads', async function () {
    this.timeout(120000);
    const deterministic = await expectClean('teardown-storm', { seeds: [1, 2], params: { durationSec: 0.03, uapi: 'iommufd' } });
    const threads = await expectClean('teardown-storm', { seeds: [1], mode: THREADS, params: { durationSec: 1, uapi: 'iommufd' } });
    for (const r of [...deterministic, ...threads]) {
      expect(r.outcomes.attach?.ok ?? 0, 'its lanes attached').to.be.above(0);
      expect(r.outcomes.allow, 'no bridge').to.equal(undefined);
      expect(r.outcomes.destroy?.EBUSY ?? 0, 'DESTROYs while in use').to.be.above(0);
      expect(r.coverage.teardownCallsRaced, 'teardowns raced').to.be.above(0);
    }
  });

  it('viommu --uapi iommufd: the vIOMMU attaches and detaches (no bridge) and stays clean', async function () {
    this.timeout(120000);
    for (const r of await expectClean('viommu', { seeds: [1, 2], params: { durationSec: 0.03, uapi: 'iommufd' } })) {
      expect(r.outcomes.viommu_bind?.ok ?? 0, 'binds').to.be.above(0);
      expect(r.outcomes.attach?.ok ?? 0, 'attached').to.be.above(0);
      expect(r.outcomes.detach?.ok ?? 0, 'detached').to.be.above(0);
      expect(r.outcomes.allow, 'no bridge').to.equal(undefined);
    }
  });

  it('HWPT ids are their own id space: more HWPTs than PASIDs, counted from 1 per machine, each FD its own', async () => {
    // Three PASIDs (pasidBits 2): the 2021 design's fourth ALLOC has none left; iommufd's does not use them.
    const small = (uapi: 'ioasid' | 'iommufd') => ({ uapi, pasidBits: 2, vms: [vm('vm1', ['dev1']), vm('vm2', ['dev2'])] });
    await withSim(small('ioasid'), async (sim) => {
      const fd = value(await sim.machine.invoke('open', { vm: 0 }));
      for (let i = 0; i < 3; i++) value(await sim.machine.invoke('alloc', { fd }));
      expect(errno(await sim.machine.invoke('alloc', { fd })), 'the PASID space is exhausted').to.equal('ENOSPC');
    });
    await withSim(small('iommufd'), async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const fd2 = value(await m.invoke('open', { vm: 1 }));
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(value(await m.invoke('alloc', { fd })));
      expect(ids).to.deep.equal([1, 2, 3, 4, 5]);
      // Another FD's HWPTs are numbered in the same per-machine space, never one of this FD's.
      const other = value(await m.invoke('alloc', { fd: fd2 }));
      expect(other).to.equal(6);
      expect(errno(await m.invoke('destroy', { fd, ioasid: other })), "another FD's HWPT").to.equal('ENOENT');
      // The VMM's PASID is independent of the id: HWPT 5 on PASID 1 of the device.
      value(await m.invoke('bind_pgtbl', { fd, ioasid: 5, pages: 2 }));
      value(await m.invoke('attach', { device: 0, fd, hwpt: 5, pasid: 1 }));
      const dma = value(await m.invoke('dma', { device: 0, ioasid: 1, ops: 50 }));
      expect(dma.landed, 'DMA at the chosen PASID lands in HWPT 5').to.be.above(0);
      // KVM's table names the HWPT by its id, the pPASID a shared work queue needs: an id beyond the PASID range is refused.
      expect(errno(await m.invoke('kvm_set_pasid', { vm: 0, vpasid: 1, fd, ioasid: 5 })), 'id 5 is no PASID of 2 bits').to.equal('EINVAL');
      value(await m.invoke('kvm_set_pasid', { vm: 0, vpasid: 1, fd, ioasid: 1 }));
      value(await m.invoke('kvm_clear_pasid', { vm: 0, vpasid: 1 }));
      value(await m.invoke('detach', { device: 0, pasid: 1 }));
      value(await m.invoke('destroy', { fd, ioasid: 5 }));
      expect(value(await m.invoke('alloc', { fd })), 'the lowest free id comes back').to.equal(5);
      expect(value(await m.allocatorStats()).inUse, 'the allocator counts HWPTs').to.equal(6);
    });
  });
});
