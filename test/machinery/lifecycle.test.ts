// PASID lifecycle: parking, recycling after the last put, close(fd) under holders, and a
// storm of interleaved calls that must leave nothing behind.
import { expect } from 'chai';
import { Prng } from '../../sim/prng.js';
import { errno, value, vm, withSim } from '../helpers.js';

describe('PASID lifecycle', () => {
  it('never hands out a parked PASID, even with the space exhausted, and recycles it after the last put', async () => {
    await withSim({ pasidBits: 2 }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const [p1, p2, p3] = [value(await m.invoke('alloc', { fd })), value(await m.invoke('alloc', { fd })), value(await m.invoke('alloc', { fd }))];
      value(await m.invoke('allow', { device: 0, fd, ioasid: p1 }));
      value(await m.invoke('destroy', { fd, ioasid: p1 }));
      expect(value(await m.pasidState(p1))).to.equal('parked');
      value(await m.invoke('destroy', { fd, ioasid: p2 }));
      value(await m.invoke('destroy', { fd, ioasid: p3 }));
      expect(value(await m.invoke('alloc', { fd }))).to.equal(p2);
      expect(value(await m.invoke('alloc', { fd }))).to.equal(p3);
      expect(errno(await m.invoke('alloc', { fd })), 'only the parked PASID is left').to.equal('ENOSPC');
      value(await m.invoke('disallow', { device: 0, fd, ioasid: p1 })); // the last kref
      expect(value(await m.pasidState(p1))).to.equal('free');
      expect(value(await m.invoke('alloc', { fd }))).to.equal(p1);
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('close(fd) while devices hold IOASIDs: DMA halts, PASIDs park, closing the devices frees them', async () => {
    await withSim({ vms: [vm('vm1', ['d0', 'd1'])] }, async (sim) => {
      const m = sim.machine;
      const fd = value(await m.invoke('open', { vm: 0 }));
      const a = value(await m.invoke('alloc', { fd }));
      const b = value(await m.invoke('alloc', { fd }));
      for (const p of [a, b]) {
        value(await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: 8 }));
        value(await m.invoke('allow', { device: 0, fd, ioasid: p }));
        value(await m.invoke('allow', { device: 1, fd, ioasid: p }));
      }
      const job = value(await m.invoke('dma_start', { device: 0, ioasid: a }));
      value(await m.invoke('close', { fd }));
      expect(value(await m.pasidState(a))).to.equal('parked');
      expect(value(await m.invoke('dma', { device: 1, ioasid: b, ops: 300 }))).to.include({ landed: 0, faulted: 300 });
      value(await m.invoke('close_device', { device: 0 }));
      expect(value(await m.pasidState(a)), 'device 1 still holds it').to.equal('parked');
      value(await m.invoke('close_device', { device: 1 }));
      expect(value(await m.pasidState(a))).to.equal('free');
      expect(value(await m.pasidState(b))).to.equal('free');
      await m.invoke('stop', { job });
      await sim.monitor.check();
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('thousands of interleaved calls from many FDs leave the allocator, page tables and memory clean', async function () {
    this.timeout(60000);
    const vms = [vm('vm1', ['a0', 'a1']), vm('vm2', ['b0', 'b1']), vm('vm3', ['c0'])];
    await withSim({ vms, pasidBits: 7 }, async (sim) => {
      const m = sim.machine;
      const prng = new Prng(7);
      const fds: Array<{ fd: number; vm: number }> = [];
      for (let v = 0; v < vms.length; v++) for (let k = 0; k < 2; k++) fds.push({ fd: value(await m.invoke('open', { vm: v })), vm: v });
      const owned = new Map<number, number>(); // pasid -> fd (as the clients believe)
      let calls = 0;
      const client = async () => {
        for (let i = 0; i < 300; i++, calls++) {
          const f = prng.pick(fds);
          const devs = m.devices.filter((d) => (prng.chance(0.9) ? d.vm === f.vm : true));
          const d = prng.pick(devs.length ? devs : m.devices);
          const mine = [...owned].filter(([, fd]) => fd === f.fd).map(([p]) => p);
          const p = mine.length && prng.chance(0.8) ? prng.pick(mine) : 1 + prng.int(127);
          switch (prng.int(6)) {
            case 0:
            case 1: {
              const r = await m.invoke('alloc', { fd: f.fd });
              if (r.ok) owned.set(r.value, f.fd);
              break;
            }
            case 2:
              await m.invoke('bind_pgtbl', { fd: f.fd, ioasid: p, pages: 1 + prng.int(4) });
              break;
            case 3:
              await m.invoke('allow', { device: d.index, fd: f.fd, ioasid: p });
              break;
            case 4:
              await m.invoke('disallow', { device: d.index, fd: f.fd, ioasid: p });
              break;
            case 5: {
              const r = await m.invoke('destroy', { fd: f.fd, ioasid: p });
              if (r.ok) owned.delete(p);
              break;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: 12 }, client));
      expect(calls).to.equal(3600);
      for (const f of fds) value(await m.invoke('close', { fd: f.fd }));
      for (const d of m.devices) value(await m.invoke('close_device', { device: d.index }));
      const stats = value(await m.allocatorStats());
      expect(stats).to.include({ inUse: 0, parked: 0, free: 127 });
      expect(m.env.host.pgtables.live).to.equal(0);
      for (let v = 0; v < vms.length; v++) expect(m.env.host.pages.freeCount(v)).to.equal(256);
      expect(m.env.globalIoasids.size, 'no live IOASID actor').to.equal(0);
      await sim.monitor.check();
      expect(sim.violations).to.deep.equal([]);
    });
  });
});
