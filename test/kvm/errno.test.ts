// Every errno path of the KVM, vCPU, ENQCMD and vIOMMU calls (docs/model.md#errno-conventions).
import { expect } from 'chai';
import { DSA1, DSA2, NIC1, PLAIN1, VCPU10, VCPU20, VM1, VM2, allocatorHolds, errno, kvmSpec, readyIoasid, value, withSim } from './helpers.js';

describe('kvm: errno paths', () => {
  it('KVM_SET_PASID validates the VM, the FD (like ALLOW), the vPASID and the IOASID', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const { fd, pasid } = await readyIoasid(sim, VM1, [DSA1]);
      const other = await readyIoasid(sim, VM2, [DSA2]);
      const sameVmFd = value(await m.invoke('open', { vm: VM1 }));
      const elsewhere = value(await m.invoke('alloc', { fd: sameVmFd }));
      expect(errno(await m.invoke('kvm_set_pasid', { vm: 7, vpasid: 1, fd, ioasid: pasid })), 'no such VM').to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd: 99, ioasid: pasid })), 'FD not open').to.equal('EBADF');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd: other.fd, ioasid: other.pasid })), "another VM's FD").to.equal('EBADF');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 0, fd, ioasid: pasid })), 'vPASID 0').to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 4096, fd, ioasid: pasid })), 'vPASID beyond the table').to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd, ioasid: 0 })), 'IOASID 0').to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd, ioasid: elsewhere })), 'IOASID of another FD').to.equal('ENOENT');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd, ioasid: other.pasid })), "IOASID of another VM's FD").to.equal('ENOENT');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd, ioasid: pasid }))).to.equal('ok');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd, ioasid: pasid })), 'mapped vPASID').to.equal('EEXIST');
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 1, fd: sameVmFd, ioasid: elsewhere })), 'mapped vPASID, other IOASID').to.equal('EEXIST');
      value(await m.invoke('destroy', { fd: sameVmFd, ioasid: elsewhere }));
      expect(errno(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 2, fd: sameVmFd, ioasid: elsewhere })), 'destroyed IOASID').to.equal('ENOENT');
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 1 }));
      expect(sim.violations).to.deep.equal([]);
    }));

  it('KVM_CLEAR_PASID: EINVAL, ENOENT when unmapped, and it still works after DESTROY', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const { fd, pasid } = await readyIoasid(sim, VM1, [DSA1]);
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: 7, vpasid: 1 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 0 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 4096 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 3 }))).to.equal('ENOENT');
      value(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 3, fd, ioasid: pasid }));
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: VM2, vpasid: 3 })), "another VM's table").to.equal('ENOENT');
      value(await m.invoke('disallow', { device: DSA1, fd, ioasid: pasid }));
      value(await m.invoke('destroy', { fd, ioasid: pasid }));
      expect(value(await m.pasidState(pasid)), 'KVM still holds a kref').to.equal('parked');
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 3 }));
      expect(value(await m.pasidState(pasid))).to.equal('free');
      expect(errno(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 3 }))).to.equal('ENOENT');
      expect(sim.violations).to.deep.equal([]);
    }));

  it('DESTROY answers EBUSY while KVM maps the IOASID under destroyPolicy ebusy', () =>
    withSim(kvmSpec({ destroyPolicy: 'ebusy' }), async (sim) => {
      const m = sim.machine;
      const { fd, pasid } = await readyIoasid(sim, VM1, []);
      value(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 3, fd, ioasid: pasid }));
      expect(errno(await m.invoke('destroy', { fd, ioasid: pasid }))).to.equal('EBUSY');
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: 3 }));
      value(await m.invoke('destroy', { fd, ioasid: pasid }));
      expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
    }));

  it('set_msr: EINVAL for no such vCPU and a vPASID wider than 20 bits', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      expect(errno(await m.invoke('set_msr', { vcpu: 9, vpasid: 1 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 1 << 20 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: -1 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: (1 << 20) - 1 }))).to.equal('ok');
      expect(errno(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 0 }))).to.equal('ok');
    }));

  it('enqcmd / enqcmd_start: EINVAL, EOPNOTSUPP, EBADF and EBUSY', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      expect(errno(await m.invoke('enqcmd', { vcpu: 9, device: DSA1, count: 4 })), 'no such vCPU').to.equal('EINVAL');
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: 42, count: 4 })), 'no such device').to.equal('EINVAL');
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU20, device: DSA1, count: 4 })), "another VM's device").to.equal('EINVAL');
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: NIC1, count: 4 })), 'no shared work queue').to.equal('EOPNOTSUPP');
      expect(errno(await m.invoke('enqcmd_start', { vcpu: VCPU10, device: PLAIN1 })), 'no PASID at all').to.equal('EOPNOTSUPP');
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 0 })), 'count 0').to.equal('EINVAL');
      const job = value(await m.invoke('enqcmd_start', { vcpu: VCPU10, device: DSA1 }));
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 4 })), 'the vCPU already runs a stream').to.equal('EBUSY');
      expect(errno(await m.invoke('enqcmd_start', { vcpu: VCPU10, device: DSA1 }))).to.equal('EBUSY');
      value(await m.invoke('stop', { job }));
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 4 })), 'free again after stop').to.equal('ok');
      value(await m.invoke('close_device', { device: DSA1 }));
      expect(errno(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 4 })), 'closed device: its portal is gone').to.equal('EBADF');
    }));

  it('viommu_bind / viommu_unbind: EINVAL, EEXIST and ENOENT', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      expect(errno(await m.invoke('viommu_bind', { vm: 7, device: DSA1, vpasid: 1 })), 'no such VM').to.equal('EINVAL');
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 0 })), 'vPASID 0').to.equal('EINVAL');
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 4096 }))).to.equal('EINVAL');
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: DSA2, vpasid: 1 })), "another VM's device").to.equal('EINVAL');
      expect(errno(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 1 })), 'not bound').to.equal('ENOENT');
      const pasid = value(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 1 }));
      expect(errno(await m.invoke('viommu_bind', { vm: VM1, device: DSA1, vpasid: 1 })), 'bound twice').to.equal('EEXIST');
      expect(errno(await m.invoke('viommu_unbind', { vm: VM1, device: NIC1, vpasid: 1 })), 'another device of the vPASID').to.equal('ENOENT');
      expect(value(await m.pasidState(pasid))).to.equal('in-use');
      value(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 1 }));
      expect(errno(await m.invoke('viommu_unbind', { vm: VM1, device: DSA1, vpasid: 1 }))).to.equal('ENOENT');
      expect(value(await m.pasidState(pasid))).to.equal('free');
      expect(sim.violations).to.deep.equal([]);
    }));
});
