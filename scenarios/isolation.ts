// isolation: several VMs (at least two), each with two /dev/ioasid FDs, whose devices run
// legitimate DMA while they keep trying to reach what is not theirs:
//   - ALLOW through another VM's FD (EBADF: not an FD this device may use),
//   - ALLOW of another VM's live IOASID through their own FD (ENOENT: not allocated here),
//   - ALLOW of their own VM's IOASID through the VM's other FD (ENOENT: cross-FD),
//   - BIND_PGTBL and DESTROY of another VM's IOASID through their own FD (ENOENT),
//   - DMA bursts with another VM's live PASID and with a PASID nobody was given (all fault).
// Each must fail and nothing may land in another VM's memory. With `--mutant no-fd-check` the
// same-FD check is gone, a cross-VM ALLOW succeeds and the auditor reports `isolation`.
import type { Machine } from '../machine/machine.js';
import { type Scenario, type ScenarioParams, type Workload, gridMachine } from './scenario.js';

const PAGES_PER_IOASID = 8;
const PROBE_OPS = 200;

/**
 * A live IOASID of the run, for other VMs' devices to aim at. Its owner does not let go while
 * attackers are at it, so every attempt really is on another VM's live IOASID (a recycled
 * number could by then belong to the attacker's own VM, and the attempt would be legitimate).
 */
interface Live {
  readonly vm: number;
  readonly fd: number;
  readonly pasid: number;
  attackers: number;
}

const atLeastTwoVms = (p: ScenarioParams): ScenarioParams => ({ ...p, vms: Math.max(2, p.vms) });

export const isolation: Scenario = {
  name: 'isolation',
  summary:
    "VMs with two FDs each run legitimate DMA while their devices try other VMs' FDs and IOASIDs, the other FD's IOASIDs, and PASIDs never given; all must fail and nothing may land across VMs",
  races: ['landed', 'faulted'],
  machine: (p) => gridMachine(atLeastTwoVms(p), { pagesPerVm: p.devices * p.pasids * PAGES_PER_IOASID * 2 + 64 }),
  drive,
};

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const vms = atLeastTwoVms(w.params).vms;
  const fds: [number, number][] = [];
  for (let v = 0; v < vms; v++) {
    const a = await m.invoke('open', { vm: v }),
      b = await m.invoke('open', { vm: v });
    if (!a.ok || !b.ok) throw new Error(`open(vm${v + 1}) failed`);
    fds.push([a.value, b.value]);
  }
  const live = new Map<number, Live>();
  const lanes: Promise<void>[] = [];
  for (const d of m.devices) for (let s = 0; s < w.params.pasids; s++) lanes.push(lane(w, m, d.index, d.vm, fds, live));
  await Promise.all(lanes);
  for (const pair of fds) for (const fd of pair) await m.invoke('close', { fd });
}

async function lane(w: Workload, m: Machine, device: number, vm: number, fds: [number, number][], live: Map<number, Live>): Promise<void> {
  const never = m.hw.pasidMax - 1 - device; // the top of the space: nobody allocates it
  while (!w.expired()) {
    // Legitimate work, through either of the VM's FDs.
    const side = w.prng.int(2);
    const fd = fds[vm]![side]!,
      otherFd = fds[vm]![1 - side]!;
    const a = await m.invoke('alloc', { fd });
    if (!a.ok) {
      await w.sleep(1, `lane${device}`);
      continue;
    }
    const pasid = a.value;
    await m.invoke('bind_pgtbl', { fd, ioasid: pasid, pages: PAGES_PER_IOASID });
    const crossFd = await m.invoke('allow', { device, fd: otherFd, ioasid: pasid }); // ENOENT: the VM's other FD
    if (crossFd.ok) await m.invoke('disallow', { device, fd: otherFd, ioasid: pasid });
    await m.invoke('allow', { device, fd, ioasid: pasid });
    const job = await m.invoke('dma_start', { device, ioasid: pasid, seed: w.prng.fork() });
    const mine: Live = { vm, fd, pasid, attackers: 0 };
    live.set(pasid, mine);

    // Attempts that must fail, while the legitimate DMA runs.
    const victims = [...live.values()].filter((x) => x.vm !== vm);
    const victim = victims.length ? w.prng.pick(victims) : null;
    if (victim) {
      victim.attackers++;
      await m.invoke('allow', { device, fd: victim.fd, ioasid: victim.pasid }); // EBADF: another VM's FD
      const wrong = await m.invoke('allow', { device, fd, ioasid: victim.pasid }); // ENOENT: not allocated from this FD
      if (wrong.ok) {
        // The same-FD check is broken: the device now reaches into the other VM's memory.
        await m.invoke('dma', { device, ioasid: victim.pasid, ops: PROBE_OPS, seed: w.prng.fork() });
        await m.invoke('disallow', { device, fd, ioasid: victim.pasid });
      }
      await m.invoke('bind_pgtbl', { fd, ioasid: victim.pasid, pages: PAGES_PER_IOASID }); // ENOENT
      await m.invoke('destroy', { fd, ioasid: victim.pasid }); // ENOENT
      await m.invoke('dma', { device, ioasid: victim.pasid, ops: PROBE_OPS, seed: w.prng.fork() }); // faults: never allowed
      victim.attackers--;
    }
    await m.invoke('dma', { device, ioasid: never, ops: PROBE_OPS, seed: w.prng.fork() }); // faults: nobody was given it

    await w.sleep(w.prng.int(3), `lane${device}`);
    live.delete(pasid);
    while (mine.attackers > 0) await w.sleep(1, `lane${device}`);
    await m.invoke('disallow', { device, fd, ioasid: pasid });
    await m.invoke('destroy', { fd, ioasid: pasid });
    if (job.ok) await m.invoke('stop', { job: job.value });
  }
}
