// enqcmd: guest vCPUs submit ENQCMD on engine threads (scenarios/guest.ts) while, per VM, lanes
// churn the vPASID -> pPASID translations they go through: ALLOC -> BIND_PGTBL -> ALLOW on the
// VM's devices -> KVM_SET_PASID, then one of three teardowns: KVM first
// (docs/kernel-facts.md#tearing-down-a-vpasid-translation), DESTROY first so the PASID parks on the
// device's and KVM's krefs, or DISALLOW and DESTROY with KVM_CLEAR_PASID last, each lane then
// remapping its vPASID to a fresh IOASID. Queues fill, so
// submitters retry; vCPUs whose vPASID is unmapped exit and get #GP. Now and then a lane tries
// KVM_SET_PASID calls that must fail (another VM's FD, another FD's IOASID, a mapped vPASID).
// Under iommufd the lanes attach each HWPT at the PASID equal to its id on every device of the
// VM (a shared work queue needs one global pPASID: docs/iommufd.md), detach instead of
// DISALLOW, and destroy again once the devices and KVM let go (DESTROY in use is EBUSY there).
import { DEFAULT_PGTBL_PAGES } from '../uapi/ops.js';
import type { Machine } from '../machine/machine.js';
import { runGuestVcpus } from './guest.js';
import { LANE_UAPI } from './lane-uapi.js';
import { type Scenario, type Workload, gridMachine, openFdPerVm } from './scenario.js';

// As many pages as ENQCMD descriptors address.
const PAGES_PER_IOASID = DEFAULT_PGTBL_PAGES;
/** A vPASID no lane uses, for mappings that must be refused. */
const KVM_PROBE_VPASID = 4000;

export const enqcmd: Scenario = {
  name: 'enqcmd',
  summary: 'vCPUs submit ENQCMD on worker threads while lanes remap vPASIDs with KVM_SET/CLEAR_PASID and destroy IOASIDs in every order',
  races: ['accepted', 'kvmClearsWithEnqcmdInFlight'],
  machine: (p) => gridMachine(p, { pagesPerVm: p.pasids * PAGES_PER_IOASID * 3 + 64, enqcmd: true }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const fds = await openFdPerVm(w);
  const lanes: Promise<void>[] = [runGuestVcpus(w, m, w.params.pasids)];
  for (let v = 0; v < w.params.vms; v++) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, v, s + 1, fds));
  await Promise.all(lanes);
  for (const fd of fds) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, vm: number, vpasid: number, fds: number[]): Promise<void> {
  const fd = fds[vm]!;
  const me = `lane${vm}.${vpasid}`;
  const devices = m.devices.filter((d) => d.vm === vm).map((d) => d.index);
  const u = LANE_UAPI[w.params.uapi ?? 'ioasid'];
  const disallowAll = async (pasid: number) => {
    for (const d of devices) await u.detach(m, d, fd, pasid, pasid);
  };
  while (!w.expired()) {
    const a = await m.invoke('alloc', { fd });
    if (!a.ok) {
      await w.sleep(1, me);
      continue;
    }
    const pasid = a.value;
    await m.invoke('bind_pgtbl', { fd, ioasid: pasid, pages: PAGES_PER_IOASID });
    // The pPASID is the address space's number, on every device of the queue (iommufd: the VMM's pick).
    for (const d of devices) await u.attach(m, d, fd, pasid, pasid);
    await m.invoke('kvm_set_pasid', { vm, vpasid, fd, ioasid: pasid });
    if (w.prng.chance(0.1)) await refusedMappings(m, vm, vpasid, fds, pasid);
    await w.sleep(w.prng.int(4), me);
    const order = w.prng.float();
    if (order < 0.4) {
      await m.invoke('kvm_clear_pasid', { vm, vpasid });
      await disallowAll(pasid);
      await m.invoke('destroy', { fd, ioasid: pasid });
    } else if (order < 0.7) {
      // DESTROY while the devices and KVM still hold it: the PASID parks until the last one lets go.
      await m.invoke('destroy', { fd, ioasid: pasid });
      await w.sleep(w.prng.int(2), me);
      await m.invoke('kvm_clear_pasid', { vm, vpasid });
      await disallowAll(pasid);
      if (u.destroyWaitsForUsers) await m.invoke('destroy', { fd, ioasid: pasid });
    } else {
      // KVM last: the PASID stays parked on KVM's kref after DISALLOW and DESTROY.
      await disallowAll(pasid);
      await m.invoke('destroy', { fd, ioasid: pasid });
      await w.sleep(w.prng.int(2), me);
      await m.invoke('kvm_clear_pasid', { vm, vpasid });
      if (u.destroyWaitsForUsers) await m.invoke('destroy', { fd, ioasid: pasid });
    }
  }
}

/** KVM_SET_PASID calls that must fail: EEXIST (mapped), EBADF (another VM's FD), ENOENT (another FD's IOASID). */
async function refusedMappings(m: Machine, vm: number, vpasid: number, fds: number[], pasid: number): Promise<void> {
  const fd = fds[vm]!;
  await m.invoke('kvm_set_pasid', { vm, vpasid, fd, ioasid: pasid });
  if (fds.length < 2) return;
  const otherFd = fds[(vm + 1) % fds.length]!;
  await m.invoke('kvm_set_pasid', { vm, vpasid, fd: otherFd, ioasid: pasid });
  const foreign = await m.invoke('alloc', { fd: otherFd });
  if (!foreign.ok) return;
  const wrong = await m.invoke('kvm_set_pasid', { vm, vpasid: KVM_PROBE_VPASID, fd, ioasid: foreign.value });
  // A broken same-FD check mapped another VM's PASID: undo it so the lane can go on.
  if (wrong.ok) await m.invoke('kvm_clear_pasid', { vm, vpasid: KVM_PROBE_VPASID });
  await m.invoke('destroy', { fd: otherFd, ioasid: foreign.value });
}
