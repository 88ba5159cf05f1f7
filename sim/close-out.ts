// The close-out audit at the end of every run (`run`, `seq`, sweeps, fail-nth, the embedding
// API's shutdown): close everything in the safe order, as the end of the VMs and of the process
// would, then check that nothing is still held. Whatever is left is a `leak` violation: an error
// path or a teardown that kept something, which no later ALLOC may ever expose.
import { hardwareLeftovers } from '../hardware/audit.js';
import type { Simulation } from './simulation.js';

/**
 * Clear every KVM translation the auditor saw granted, close every FD still open and every device
 * (a device closed already answers EBADF); what did not close cleanly, one line each.
 */
async function closeEverything(sim: Simulation): Promise<string[]> {
  const m = sim.machine;
  const problems: string[] = [];
  const mapped = new Set<string>();
  for (const inc of sim.monitor.model.all()) for (const h of inc.holders) if (h.startsWith('kvm:')) mapped.add(h);
  for (const h of mapped) {
    const [, vm, vpasid] = h.split(':').map(Number) as [number, number, number];
    const r = await m.invoke('kvm_clear_pasid', { vm, vpasid });
    if (!r.ok) problems.push(`clearing vPASID ${vpasid} of ${sim.names.vm[vm]} answered ${r.errno}: ${r.message}`);
  }
  for (const fd of [...m.env.fds.keys()]) {
    const r = await m.invoke('close', { fd });
    if (!r.ok) problems.push(`closing FD ${fd} answered ${r.errno}: ${r.message}`);
  }
  for (const d of m.devices) {
    const r = await m.invoke('close_device', { device: d.index });
    if (!r.ok && r.errno !== 'EBADF') problems.push(`closing device ${d.name} answered ${r.errno}: ${r.message}`);
  }
  return problems;
}

/** What is still held once everything is closed (all of it should be back). */
async function leftovers(sim: Simulation): Promise<string[]> {
  const m = sim.machine;
  const leaks: string[] = [];
  const stats = await m.allocatorStats();
  if (!stats.ok) leaks.push(`the allocator did not answer: ${stats.errno}`);
  else {
    const { inUse, parked, perVm } = stats.value;
    if (inUse || parked) leaks.push(`allocator: ${inUse} PASID(s) in use, ${parked} parked`);
    for (const [vm, n] of Object.entries(perVm)) if (n) leaks.push(`${sim.names.vm[Number(vm)]}: quota still charged for ${n} PASID(s)`);
  }
  if (m.env.globalIoasids.size) leaks.push(`live IOASID actor(s) for PASID ${[...m.env.globalIoasids.keys()].join(', ')}`);
  if (m.env.host.pgtables.live) leaks.push(`${m.env.host.pgtables.live} IO page table(s) live`);
  m.spec.vms.forEach((vm, v) => {
    const missing = vm.pages - m.env.host.pages.freeCount(v);
    if (missing) leaks.push(`${vm.name}: ${missing} of ${vm.pages} pages not free`);
  });
  leaks.push(...hardwareLeftovers(m.hw, sim.names));
  return leaks;
}

/**
 * Close everything, then audit: each problem closing and each thing left over is reported as a
 * `leak` violation, and returned. Call after the last step, while the machine still answers and
 * no call of the workload is in flight; its calls are not counted as the workload's.
 */
export async function closeOut(sim: Simulation): Promise<string[]> {
  sim.closingOut = true;
  sim.monitor.step = null; // not any step's doing
  const found = [...(await closeEverything(sim)), ...(await leftovers(sim))];
  for (const leak of found) sim.monitor.record('leak', leak);
  return found;
}
