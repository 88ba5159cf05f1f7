// Every errno path of the uAPI (docs/model.md#the-uapi), on the typed uAPI.
import { expect } from 'chai';
import { errno, value, vm, withSim } from '../helpers.js';

const twoVms = { vms: [vm('vm1', ['dev1', 'dev1b']), vm('vm2', ['dev2'])] };

describe('uAPI errno paths', () => {
  it("EBADF: calls on a closed FD, a closed device, or with another VM's FD", async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fd1 = value(await m.invoke('open', { vm: 0 }));
      const fd2 = value(await m.invoke('open', { vm: 1 }));
      const a = value(await m.invoke('alloc', { fd: fd1 }));
      const b = value(await m.invoke('alloc', { fd: fd2 }));
      expect(errno(await m.invoke('allow', { device: 0, fd: fd2, ioasid: b })), 'device of vm1 with vm2 FD').to.equal('EBADF');
      expect(errno(await m.invoke('allow', { device: 0, fd: 999, ioasid: a })), 'never-opened FD').to.equal('EBADF');
      value(await m.invoke('close', { fd: fd1 }));
      expect(errno(await m.invoke('alloc', { fd: fd1 }))).to.equal('EBADF');
      expect(errno(await m.invoke('bind_pgtbl', { fd: fd1, ioasid: a, pages: 4 }))).to.equal('EBADF');
      expect(errno(await m.invoke('destroy', { fd: fd1, ioasid: a }))).to.equal('EBADF');
      expect(errno(await m.invoke('close', { fd: fd1 })), 'close twice').to.equal('EBADF');
      expect(errno(await m.invoke('allow', { device: 0, fd: fd1, ioasid: a }))).to.equal('EBADF');
      value(await m.invoke('close_device', { device: 2 }));
      expect(errno(await m.invoke('allow', { device: 2, fd: fd2, ioasid: b })), 'closed device').to.equal('EBADF');
      expect(errno(await m.invoke('disallow', { device: 2, fd: fd2, ioasid: b }))).to.equal('EBADF');
      expect(errno(await m.invoke('close_device', { device: 2 })), 'close device twice').to.equal('EBADF');
    });
  });

  it('EBADF from DISALLOW when the FD argument was closed; closing the device releases what it holds', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      value(await m.invoke('close', { fd }));
      expect(value(await m.pasidState(a))).to.equal('parked');
      expect(errno(await m.invoke('disallow', { device: 0, fd, ioasid: a }))).to.equal('EBADF');
      value(await m.invoke('close_device', { device: 0 }));
      expect(value(await m.pasidState(a))).to.equal('free');
    });
  });

  it('ENOENT: unknown, foreign, destroyed or not-held IOASIDs', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.invoke('open', { vm: 0 }));
      const fdB = value(await m.invoke('open', { vm: 0 })); // a second FD of the same VM
      const a = value(await m.invoke('alloc', { fd: fdA }));
      expect(errno(await m.invoke('destroy', { fd: fdA, ioasid: 777 }))).to.equal('ENOENT');
      expect(errno(await m.invoke('destroy', { fd: fdB, ioasid: a })), 'allocated from another FD').to.equal('ENOENT');
      expect(errno(await m.invoke('bind_pgtbl', { fd: fdB, ioasid: a, pages: 4 }))).to.equal('ENOENT');
      expect(errno(await m.invoke('allow', { device: 0, fd: fdB, ioasid: a })), 'ALLOW through the wrong FD').to.equal('ENOENT');
      expect(errno(await m.invoke('disallow', { device: 0, fd: fdA, ioasid: a })), 'never allowed').to.equal('ENOENT');
      value(await m.invoke('destroy', { fd: fdA, ioasid: a }));
      expect(errno(await m.invoke('destroy', { fd: fdA, ioasid: a })), 'destroyed twice').to.equal('ENOENT');
      expect(errno(await m.invoke('allow', { device: 0, fd: fdA, ioasid: a })), 'ALLOW after DESTROY').to.equal('ENOENT');
      expect(errno(await m.invoke('bind_pgtbl', { fd: fdA, ioasid: a, pages: 4 }))).to.equal('ENOENT');
    });
  });

  it('ENOENT before EEXIST: ALLOW of an IOASID the device holds, but destroyed or named through another FD (found by the uAPI fuzzer)', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.invoke('open', { vm: 0 }));
      const fdB = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd: fdA }));
      value(await m.invoke('allow', { device: 0, fd: fdA, ioasid: a }));
      expect(errno(await m.invoke('allow', { device: 0, fd: fdA, ioasid: a })), 'same FD, live').to.equal('EEXIST');
      expect(errno(await m.invoke('allow', { device: 0, fd: fdB, ioasid: a })), 'allocated from another FD').to.equal('ENOENT');
      value(await m.invoke('destroy', { fd: fdA, ioasid: a }));
      expect(errno(await m.invoke('allow', { device: 0, fd: fdA, ioasid: a })), 'destroyed, PASID parked on this device').to.equal('ENOENT');
      expect(value(await m.pasidState(a)), 'the failed ALLOW resurrects nothing').to.equal('parked');
    });
  });

  it('EINVAL: reserved PASID 0, out-of-range PASIDs and pages, unknown VM, empty DMA burst', async () => {
    await withSim({ pasidBits: 8 }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      expect(errno(await m.invoke('allow', { device: 0, fd, ioasid: 0 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('allow', { device: 0, fd, ioasid: 256 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 0 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 65 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('open', { vm: 5 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('dma', { device: 0, ioasid: a, ops: 0 }))).to.equal('EINVAL');
    });
  });

  it('EBUSY: a second BIND_PGTBL; DESTROY under destroyPolicy ebusy while a device holds it', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 4 }));
      expect(errno(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 4 }))).to.equal('EBUSY');
    });
    await withSim({ destroyPolicy: 'ebusy' }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      expect(errno(await m.invoke('destroy', { fd, ioasid: a }))).to.equal('EBUSY');
      expect(value(await m.pasidState(a)), 'a failed DESTROY leaves it usable').to.equal('in-use');
      value(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 4 }));
      value(await m.invoke('disallow', { device: 0, fd, ioasid: a }));
      value(await m.invoke('destroy', { fd, ioasid: a }));
      expect(value(await m.pasidState(a))).to.equal('free');
    });
  });

  it('EEXIST: the same device allowed the same IOASID twice', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      expect(errno(await m.invoke('allow', { device: 0, fd, ioasid: a }))).to.equal('EEXIST');
    });
  });

  it('ENOSPC: the PASID space and the VM quota', async () => {
    await withSim({ pasidBits: 2 }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const got = [value(await m.invoke('alloc', { fd })), value(await m.invoke('alloc', { fd })), value(await m.invoke('alloc', { fd }))];
      expect(got).to.deep.equal([1, 2, 3]);
      expect(errno(await m.invoke('alloc', { fd }))).to.equal('ENOSPC');
    });
    await withSim({ vms: [vm('vm1', ['dev1'], { quota: 2 })] }, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.invoke('open', { vm: 0 }));
      const fdB = value(await m.invoke('open', { vm: 0 }));
      value(await m.invoke('alloc', { fd: fdA }));
      value(await m.invoke('alloc', { fd: fdB }));
      expect(errno(await m.invoke('alloc', { fd: fdA })), 'the quota counts every FD of the VM').to.equal('ENOSPC');
    });
  });

  it('EOPNOTSUPP: a device without the PASID capability', async () => {
    await withSim({ vms: [{ ...vm('vm1', []), devices: [{ name: 'legacy', iommu: 0, pasid: false, ats: false, enqcmd: false }] }] }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      expect(errno(await m.invoke('allow', { device: 0, fd, ioasid: a }))).to.equal('EOPNOTSUPP');
    });
  });

  it('ALLOW before BIND_PGTBL is legal: DMA faults until a page table is bound', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      value(await m.invoke('allow', { device: 0, fd, ioasid: a }));
      expect(value(await m.invoke('dma', { device: 0, ioasid: a, ops: 500 }))).to.include({ landed: 0, faulted: 500 });
      value(await m.invoke('bind_pgtbl', { fd, ioasid: a, pages: 8 }));
      expect(value(await m.invoke('dma', { device: 0, ioasid: a, ops: 500 }))).to.include({ landed: 500, faulted: 0 });
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('every call answers with a typed result, and the stream carries a reply for every call', async () => {
    await withSim({}, async (sim) => {
      const seen = new Map<number, string>();
      sim.events$.subscribe((e) => {
        if (e.type === 'call') seen.set(e.id, 'call');
        if (e.type === 'reply') seen.set(e.id, 'reply');
      });
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      await m.invoke('alloc', { fd });
      await m.invoke('destroy', { fd, ioasid: 12345 });
      await m.invoke('close', { fd });
      await m.invoke('alloc', { fd });
      expect(seen.size).to.equal(5);
      expect([...seen.values()].every((v) => v === 'reply')).to.equal(true);
    });
  });
});
