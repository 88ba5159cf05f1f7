// Every errno path of the uAPI (docs/model.md#the-uapi), on the typed uAPI.
import { expect } from 'chai';
import { errno, value, vm, withSim } from '../helpers.js';

const twoVms = { vms: [vm('vm1', ['dev1', 'dev1b']), vm('vm2', ['dev2'])] };

describe('uAPI errno paths', () => {
  it('EBADF: calls on a closed FD, a closed device, or with another VM\'s FD', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fd1 = value(await m.open(0));
      const fd2 = value(await m.open(1));
      const a = value(await m.alloc(fd1));
      const b = value(await m.alloc(fd2));
      expect(errno(await m.allow(0, fd2, b)), 'device of vm1 with vm2 FD').to.equal('EBADF');
      expect(errno(await m.allow(0, 999, a)), 'never-opened FD').to.equal('EBADF');
      value(await m.close(fd1));
      expect(errno(await m.alloc(fd1))).to.equal('EBADF');
      expect(errno(await m.bindPgtbl(fd1, a, 4))).to.equal('EBADF');
      expect(errno(await m.destroy(fd1, a))).to.equal('EBADF');
      expect(errno(await m.close(fd1)), 'close twice').to.equal('EBADF');
      expect(errno(await m.allow(0, fd1, a))).to.equal('EBADF');
      value(await m.closeDevice(2));
      expect(errno(await m.allow(2, fd2, b)), 'closed device').to.equal('EBADF');
      expect(errno(await m.disallow(2, fd2, b))).to.equal('EBADF');
      expect(errno(await m.closeDevice(2)), 'close device twice').to.equal('EBADF');
    });
  });

  it('EBADF from DISALLOW when the FD argument was closed; closing the device releases what it holds', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      value(await m.allow(0, fd, a));
      value(await m.close(fd));
      expect(value(await m.pasidState(a))).to.equal('parked');
      expect(errno(await m.disallow(0, fd, a))).to.equal('EBADF');
      value(await m.closeDevice(0));
      expect(value(await m.pasidState(a))).to.equal('free');
    });
  });

  it('ENOENT: unknown, foreign, destroyed or not-held IOASIDs', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.open(0));
      const fdB = value(await m.open(0)); // a second FD of the same VM
      const a = value(await m.alloc(fdA));
      expect(errno(await m.destroy(fdA, 777))).to.equal('ENOENT');
      expect(errno(await m.destroy(fdB, a)), 'allocated from another FD').to.equal('ENOENT');
      expect(errno(await m.bindPgtbl(fdB, a, 4))).to.equal('ENOENT');
      expect(errno(await m.allow(0, fdB, a)), 'ALLOW through the wrong FD').to.equal('ENOENT');
      expect(errno(await m.disallow(0, fdA, a)), 'never allowed').to.equal('ENOENT');
      value(await m.destroy(fdA, a));
      expect(errno(await m.destroy(fdA, a)), 'destroyed twice').to.equal('ENOENT');
      expect(errno(await m.allow(0, fdA, a)), 'ALLOW after DESTROY').to.equal('ENOENT');
      expect(errno(await m.bindPgtbl(fdA, a, 4))).to.equal('ENOENT');
    });
  });

  it('ENOENT before EEXIST: ALLOW of an IOASID the device holds, but destroyed or named through another FD (found by the uAPI fuzzer)', async () => {
    await withSim(twoVms, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.open(0));
      const fdB = value(await m.open(0));
      const a = value(await m.alloc(fdA));
      value(await m.allow(0, fdA, a));
      expect(errno(await m.allow(0, fdA, a)), 'same FD, live').to.equal('EEXIST');
      expect(errno(await m.allow(0, fdB, a)), 'allocated from another FD').to.equal('ENOENT');
      value(await m.destroy(fdA, a));
      expect(errno(await m.allow(0, fdA, a)), 'destroyed, PASID parked on this device').to.equal('ENOENT');
      expect(value(await m.pasidState(a)), 'the failed ALLOW resurrects nothing').to.equal('parked');
    });
  });

  it('EINVAL: reserved PASID 0, out-of-range PASIDs and pages, unknown VM, empty DMA burst', async () => {
    await withSim({ pasidBits: 8 }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      expect(errno(await m.allow(0, fd, 0))).to.equal('EINVAL');
      expect(errno(await m.allow(0, fd, 256))).to.equal('EINVAL');
      expect(errno(await m.bindPgtbl(fd, a, 0))).to.equal('EINVAL');
      expect(errno(await m.bindPgtbl(fd, a, 65))).to.equal('EINVAL');
      expect(errno(await m.open(5))).to.equal('EINVAL');
      expect(errno(await m.dma(0, a, 0))).to.equal('EINVAL');
    });
  });

  it('EBUSY: a second BIND_PGTBL; DESTROY under destroyPolicy ebusy while a device holds it', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      value(await m.bindPgtbl(fd, a, 4));
      expect(errno(await m.bindPgtbl(fd, a, 4))).to.equal('EBUSY');
    });
    await withSim({ destroyPolicy: 'ebusy' }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      value(await m.allow(0, fd, a));
      expect(errno(await m.destroy(fd, a))).to.equal('EBUSY');
      expect(value(await m.pasidState(a)), 'a failed DESTROY leaves it usable').to.equal('in-use');
      value(await m.bindPgtbl(fd, a, 4));
      value(await m.disallow(0, fd, a));
      value(await m.destroy(fd, a));
      expect(value(await m.pasidState(a))).to.equal('free');
    });
  });

  it('EEXIST: the same device allowed the same IOASID twice', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      value(await m.allow(0, fd, a));
      expect(errno(await m.allow(0, fd, a))).to.equal('EEXIST');
    });
  });

  it('ENOSPC: the PASID space and the VM quota', async () => {
    await withSim({ pasidBits: 2 }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const got = [value(await m.alloc(fd)), value(await m.alloc(fd)), value(await m.alloc(fd))];
      expect(got).to.deep.equal([1, 2, 3]);
      expect(errno(await m.alloc(fd))).to.equal('ENOSPC');
    });
    await withSim({ vms: [vm('vm1', ['dev1'], { quota: 2 })] }, async (sim) => {
      const m = sim.machine;
      const fdA = value(await m.open(0));
      const fdB = value(await m.open(0));
      value(await m.alloc(fdA));
      value(await m.alloc(fdB));
      expect(errno(await m.alloc(fdA)), 'the quota counts every FD of the VM').to.equal('ENOSPC');
    });
  });

  it('EOPNOTSUPP: a device without the PASID capability', async () => {
    await withSim({ vms: [{ ...vm('vm1', []), devices: [{ name: 'legacy', iommu: 0, pasid: false, ats: false, enqcmd: false }] }] }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      expect(errno(await m.allow(0, fd, a))).to.equal('EOPNOTSUPP');
    });
  });

  it('ALLOW before BIND_PGTBL is legal: DMA faults until a page table is bound', async () => {
    await withSim({}, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.open(0));
      const a = value(await m.alloc(fd));
      value(await m.allow(0, fd, a));
      expect(value(await m.dma(0, a, 500))).to.include({ landed: 0, faulted: 500 });
      value(await m.bindPgtbl(fd, a, 8));
      expect(value(await m.dma(0, a, 500))).to.include({ landed: 500, faulted: 0 });
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('every call answers with a typed result, and the stream carries a reply for every call', async () => {
    await withSim({}, async (sim) => {
      const seen = new Map<number, string>();
      sim.events$.subscribe((e) => { if (e.type === 'call') seen.set(e.id, 'call'); if (e.type === 'reply') seen.set(e.id, 'reply'); });
      const m = sim.machine;
      const fd = value(await m.open(0));
      await m.alloc(fd); await m.destroy(fd, 12345); await m.close(fd); await m.alloc(fd);
      expect(seen.size).to.equal(5);
      expect([...seen.values()].every((v) => v === 'reply')).to.equal(true);
    });
  });
});
