// What the guests' vCPUs do in the ENQCMD scenarios: every vCPU runs an endless ENQCMD stream on
// an engine thread to one of its VM's devices, while the guest schedules processes on it, moving
// its IA32_PASID between the vPASIDs in use, a vPASID nobody maps (VM exit, #GP) and a cleared
// valid bit (#GP in the guest), and now and then points the vCPU at another device.
import type { Machine } from '../machine/machine.js';
import type { Workload } from './scenario.js';

/** Run the vCPUs of every VM until the workload expires; `vpasids` are the ones the lanes use. */
export async function runGuestVcpus(w: Workload, m: Machine, vpasids: number): Promise<void> {
  const jobs = new Map<number, number>();
  const portals = (vcpu: number) => m.devices.filter((d) => d.vm === m.vcpus[vcpu]!.vm && d.enqcmd);
  const startStream = async (vcpu: number) => {
    const devs = portals(vcpu);
    if (devs.length === 0) return;
    const j = await m.invoke('enqcmd_start', { vcpu, device: w.prng.pick(devs).index, seed: w.prng.fork() });
    if (j.ok) jobs.set(vcpu, j.value);
  };
  for (const c of m.vcpus) {
    await m.invoke('set_msr', { vcpu: c.index, vpasid: 1 + w.prng.int(vpasids) });
    await startStream(c.index);
  }
  while (!w.expired()) {
    await w.sleep(1 + w.prng.int(2), 'guest');
    const c = w.prng.pick(m.vcpus);
    // 0: no valid PASID yet; vpasids + 1: a vPASID no lane ever maps.
    await m.invoke('set_msr', { vcpu: c.index, vpasid: w.prng.int(vpasids + 2) });
    const running = jobs.get(c.index);
    if (running !== undefined && w.prng.chance(0.1)) {
      jobs.delete(c.index);
      await m.invoke('stop', { job: running });
      await startStream(c.index);
    }
  }
  for (const j of jobs.values()) await m.invoke('stop', { job: j });
}
