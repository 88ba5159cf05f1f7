// The guest vIOMMU: the agreed order both ways, one pPASID per vPASID, rollback of a request
// that fails midway, and concurrent requests for one vPASID answered in order.
import { expect } from 'chai';
import type { SimEvent } from '../../actors/events.js';
import { Simulation } from '../../sim/simulation.js';
import { DSA1, NIC1, PLAIN1, VM1, allocatorHolds, errno, kvmSpec, readyIoasid, value, withSim } from './helpers.js';

/** The uAPI calls a simulation saw, in order (without the guest requests themselves). */
function calls(sim: Simulation): string[] {
  const seen: string[] = [];
  sim.events$.subscribe((e: SimEvent) => {
    if (e.type === 'call' && !e.op.startsWith('viommu')) seen.push(e.op);
  });
  return seen;
}

describe('kvm: guest vIOMMU', () => {
  it('bind runs ALLOC, BIND_PGTBL, ALLOW, KVM_SET_PASID; unbind KVM_CLEAR_PASID, DISALLOW, DESTROY', () =>
    withSim(kvmSpec(), async (sim) => {
      const seen = calls(sim);
      const pasid = value(await sim.machine.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 9 }));
      expect(seen).to.deep.equal(['open', 'alloc', 'bind_pgtbl', 'allow', 'kvm_set_pasid']);
      seen.length = 0;
      value(await sim.machine.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 9 }));
      expect(seen).to.deep.equal(['kvm_clear_pasid', 'disallow', 'destroy']);
      expect(value(await sim.machine.pasidState(pasid))).to.equal('free');
      expect(sim.violations).to.deep.equal([]);
    }));

  it('devices bound with one vPASID share its pPASID; KVM keeps the translation until the last goes', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const seen = calls(sim);
      const pasid = value(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 4 }));
      expect(value(await m.invoke('viommu_bind', { vm: VM1, device: NIC1, vpasid: 4 }))).to.equal(pasid);
      seen.length = 0;
      value(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 4 }));
      expect(seen).to.deep.equal(['disallow']);
      const viommuFd = 3; // the first FD opened on the machine: the vIOMMU's
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 4, fd: viommuFd, ioasid: pasid })), 'still mapped').to.equal('EEXIST');
      value(await m.invoke('viommu_unbind', { vm: VM1, device: NIC1, vpasid: 4 }));
      expect(value(await m.pasidState(pasid))).to.equal('free');
      expect(sim.violations).to.deep.equal([]);
    }));

  it('a request that fails midway undoes what it did, in the safe order, and leaks nothing', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const seen = calls(sim);
      // ALLOW fails: the device cannot do PASID.
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: PLAIN1, vpasid: 2 }))).to.equal('EOPNOTSUPP');
      expect(seen.slice(-2)).to.deep.equal(['allow', 'destroy']);
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
      // KVM_SET_PASID fails: userspace mapped that vPASID itself.
      const mine = await readyIoasid(sim, VM1, []);
      value(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 2, fd: mine.fd, ioasid: mine.pasid }));
      seen.length = 0;
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 2 }))).to.equal('EEXIST');
      expect(seen).to.deep.equal(['alloc', 'bind_pgtbl', 'allow', 'kvm_set_pasid', 'disallow', 'destroy']);
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 1, parked: 0 });
      // A later request for the vPASID meets a clean state.
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 2 }));
      value(await m.invoke('destroy', { fd: mine.fd, ioasid: mine.pasid }));
      value(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 2 }));
      value(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 2 }));
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
      expect(sim.violations).to.deep.equal([]);
    }));

  it('a page-table allocation failure during bind leaks nothing', async () => {
    let fail = false;
    const sim = new Simulation({ spec: kvmSpec(), seed: 1, injectFault: (site) => fail && site === 'pgtable-alloc' });
    try {
      fail = true;
      expect(errno(await sim.machine.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 5 }))).to.equal('ENOMEM');
      fail = false;
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
      value(await sim.machine.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 5 }));
      expect(sim.violations).to.deep.equal([]);
    } finally {
      await sim.finish();
    }
  });

  it('concurrent requests for one vPASID are answered in arrival order; others run alongside', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const answers = await Promise.all([
        m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 6 }),
        m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 6 }),
        m.invoke('viommu_bind', { vm: VM1, device: NIC1, vpasid: 6 }),
        m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 6 }),
        m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 6 }),
        m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 7 }),
        m.invoke('viommu_unbind', { vm: VM1, device: NIC1, vpasid: 6 }),
        m.invoke('viommu_unbind', { vm: VM1, device: NIC1, vpasid: 6 }),
      ]);
      expect(answers.map(errno)).to.deep.equal(['ok', 'EEXIST', 'ok', 'ok', 'ENOENT', 'ok', 'ok', 'ENOENT']);
      expect(answers[0]).to.deep.equal(answers[2]); // one pPASID for vPASID 6
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 1, parked: 0 }); // vPASID 7's
      value(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 7 }));
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
      expect(sim.violations).to.deep.equal([]);
    }));
});
