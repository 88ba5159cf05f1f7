// Every errno path of the KVM, vCPU, ENQCMD and vIOMMU calls (DESIGN.md section 3).
import { expect } from 'chai';
import { DSA1, DSA2, NIC1, PLAIN1, VCPU10, VCPU20, VM1, VM2, allocatorHolds, errno, kvmSpec, readyIoasid, value, withSim } from './helpers.js';

describe('kvm: errno paths', () => {
  it('KVM_SET_PASID validates the VM, the FD (like ALLOW), the vPASID and the IOASID', () => withSim(kvmSpec(), async (sim) => {
    const m = sim.machine;
    const { fd, pasid } = await readyIoasid(sim, VM1, [DSA1]);
    const other = await readyIoasid(sim, VM2, [DSA2]);
    const sameVmFd = value(await m.open(VM1));
    const elsewhere = value(await m.alloc(sameVmFd));
    expect(errno(await m.kvmSetPasid(7, 1, fd, pasid)), 'no such VM').to.equal('EINVAL');
    expect(errno(await m.kvmSetPasid(VM1, 1, 99, pasid)), 'FD not open').to.equal('EBADF');
    expect(errno(await m.kvmSetPasid(VM1, 1, other.fd, other.pasid)), "another VM's FD").to.equal('EBADF');
    expect(errno(await m.kvmSetPasid(VM1, 0, fd, pasid)), 'vPASID 0').to.equal('EINVAL');
    expect(errno(await m.kvmSetPasid(VM1, 4096, fd, pasid)), 'vPASID beyond the table').to.equal('EINVAL');
    expect(errno(await m.kvmSetPasid(VM1, 1, fd, 0)), 'IOASID 0').to.equal('EINVAL');
    expect(errno(await m.kvmSetPasid(VM1, 1, fd, elsewhere)), 'IOASID of another FD').to.equal('ENOENT');
    expect(errno(await m.kvmSetPasid(VM1, 1, fd, other.pasid)), "IOASID of another VM's FD").to.equal('ENOENT');
    expect(errno(await m.kvmSetPasid(VM1, 1, fd, pasid))).to.equal('ok');
    expect(errno(await m.kvmSetPasid(VM1, 1, fd, pasid)), 'mapped vPASID').to.equal('EEXIST');
    expect(errno(await m.kvmSetPasid(VM1, 1, sameVmFd, elsewhere)), 'mapped vPASID, other IOASID').to.equal('EEXIST');
    value(await m.destroy(sameVmFd, elsewhere));
    expect(errno(await m.kvmSetPasid(VM1, 2, sameVmFd, elsewhere)), 'destroyed IOASID').to.equal('ENOENT');
    value(await m.kvmClearPasid(VM1, 1));
    expect(sim.violations).to.deep.equal([]);
  }));

  it('KVM_CLEAR_PASID: EINVAL, ENOENT when unmapped, and it still works after DESTROY', () => withSim(kvmSpec(), async (sim) => {
    const m = sim.machine;
    const { fd, pasid } = await readyIoasid(sim, VM1, [DSA1]);
    expect(errno(await m.kvmClearPasid(7, 1))).to.equal('EINVAL');
    expect(errno(await m.kvmClearPasid(VM1, 0))).to.equal('EINVAL');
    expect(errno(await m.kvmClearPasid(VM1, 4096))).to.equal('EINVAL');
    expect(errno(await m.kvmClearPasid(VM1, 3))).to.equal('ENOENT');
    value(await m.kvmSetPasid(VM1, 3, fd, pasid));
    expect(errno(await m.kvmClearPasid(VM2, 3)), "another VM's table").to.equal('ENOENT');
    value(await m.disallow(DSA1, fd, pasid));
    value(await m.destroy(fd, pasid));
    expect(value(await m.pasidState(pasid)), 'KVM still holds a kref').to.equal('parked');
    value(await m.kvmClearPasid(VM1, 3));
    expect(value(await m.pasidState(pasid))).to.equal('free');
    expect(errno(await m.kvmClearPasid(VM1, 3))).to.equal('ENOENT');
    expect(sim.violations).to.deep.equal([]);
  }));

  it('DESTROY answers EBUSY while KVM maps the IOASID under destroyPolicy ebusy', () => withSim(kvmSpec({ destroyPolicy: 'ebusy' }), async (sim) => {
    const m = sim.machine;
    const { fd, pasid } = await readyIoasid(sim, VM1, []);
    value(await m.kvmSetPasid(VM1, 3, fd, pasid));
    expect(errno(await m.destroy(fd, pasid))).to.equal('EBUSY');
    value(await m.kvmClearPasid(VM1, 3));
    value(await m.destroy(fd, pasid));
    expect(await allocatorHolds(sim)).to.deep.equal({ inUse: 0, parked: 0 });
  }));

  it('set_msr: EINVAL for no such vCPU and a vPASID wider than 20 bits', () => withSim(kvmSpec(), async (sim) => {
    const m = sim.machine;
    expect(errno(await m.setMsr(9, 1))).to.equal('EINVAL');
    expect(errno(await m.setMsr(VCPU10, 1 << 20))).to.equal('EINVAL');
    expect(errno(await m.setMsr(VCPU10, -1))).to.equal('EINVAL');
    expect(errno(await m.setMsr(VCPU10, (1 << 20) - 1))).to.equal('ok');
    expect(errno(await m.setMsr(VCPU10, 0))).to.equal('ok');
  }));

  it('enqcmd / enqcmd_start: EINVAL, EOPNOTSUPP, EBADF and EBUSY', () => withSim(kvmSpec(), async (sim) => {
    const m = sim.machine;
    expect(errno(await m.enqcmd(9, DSA1, 4)), 'no such vCPU').to.equal('EINVAL');
    expect(errno(await m.enqcmd(VCPU10, 42, 4)), 'no such device').to.equal('EINVAL');
    expect(errno(await m.enqcmd(VCPU20, DSA1, 4)), "another VM's device").to.equal('EINVAL');
    expect(errno(await m.enqcmd(VCPU10, NIC1, 4)), 'no shared work queue').to.equal('EOPNOTSUPP');
    expect(errno(await m.enqcmdStart(VCPU10, PLAIN1)), 'no PASID at all').to.equal('EOPNOTSUPP');
    expect(errno(await m.enqcmd(VCPU10, DSA1, 0)), 'count 0').to.equal('EINVAL');
    const job = value(await m.enqcmdStart(VCPU10, DSA1));
    expect(errno(await m.enqcmd(VCPU10, DSA1, 4)), 'the vCPU already runs a stream').to.equal('EBUSY');
    expect(errno(await m.enqcmdStart(VCPU10, DSA1))).to.equal('EBUSY');
    value(await m.stopJob(job));
    expect(errno(await m.enqcmd(VCPU10, DSA1, 4)), 'free again after stop').to.equal('ok');
    value(await m.closeDevice(DSA1));
    expect(errno(await m.enqcmd(VCPU10, DSA1, 4)), 'closed device: its portal is gone').to.equal('EBADF');
  }));

  it('viommu_bind / viommu_unbind: EINVAL, EEXIST and ENOENT', () => withSim(kvmSpec(), async (sim) => {
    const m = sim.machine;
    expect(errno(await m.viommuBind(7, DSA1, 1)), 'no such VM').to.equal('EINVAL');
    expect(errno(await m.viommuBind(VM1, DSA1, 0)), 'vPASID 0').to.equal('EINVAL');
    expect(errno(await m.viommuBind(VM1, DSA1, 4096))).to.equal('EINVAL');
    expect(errno(await m.viommuBind(VM1, DSA2, 1)), "another VM's device").to.equal('EINVAL');
    expect(errno(await m.viommuUnbind(VM1, DSA1, 1)), 'not bound').to.equal('ENOENT');
    const pasid = value(await m.viommuBind(VM1, DSA1, 1));
    expect(errno(await m.viommuBind(VM1, DSA1, 1)), 'bound twice').to.equal('EEXIST');
    expect(errno(await m.viommuUnbind(VM1, NIC1, 1)), 'another device of the vPASID').to.equal('ENOENT');
    expect(value(await m.pasidState(pasid))).to.equal('in-use');
    value(await m.viommuUnbind(VM1, DSA1, 1));
    expect(errno(await m.viommuUnbind(VM1, DSA1, 1))).to.equal('ENOENT');
    expect(value(await m.pasidState(pasid))).to.equal('free');
    expect(sim.violations).to.deep.equal([]);
  }));
});
