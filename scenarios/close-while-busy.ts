// close-while-busy: FDs and devices closed under DMA load. Each round every VM opens a fresh
// /dev/ioasid FD, sets up IOASIDs on each of its devices with background DMA, and then, while
// that DMA runs, either closes the FD with the devices still allowed (the PASIDs park: DESTROY
// halts the DMA, and the devices still hold them; DISALLOW through the closed FD answers EBADF)
// or tears down in order first. Now and then a device is closed while its DMA runs, which
// lets go of everything it holds, parked PASIDs of earlier rounds included.
//
// The model has no way to reopen a VFIO device FD, so each device slot comes with spare device
// FDs (`vm1-dev1`, `vm1-dev1.r1`, ...): closing one moves the slot on to the next, and the run
// carries on. Device closes are paced over the run; the last device of each slot is closed
// when the run ends, releasing what is still parked.
import type { Machine } from '../machine/machine.js';
import { type Scenario, type ScenarioParams, type Workload, gridMachine, openFd } from './scenario.js';

/** Device FDs per slot: the first plus its spares. */
const GENERATIONS = 8;
const PAGES_PER_IOASID = 4;
/** A 12-bit space: parked PASIDs pile up between device closes, and the pile must fit. */
const PASID_BITS = 12;

interface Held {
  readonly device: number;
  readonly pasid: number;
  readonly job: number | null;
}

export const closeWhileBusy: Scenario = {
  name: 'close-while-busy',
  summary:
    'FDs closed with devices still allowed and DMA running (PASIDs park, DISALLOW gets EBADF), devices closed under DMA load, then a fresh FD and the next device carry on',
  races: ['teardownsWithDmaInFlight', 'landed'],
  machine,
  drive,
};

function machine(p: ScenarioParams) {
  const spec = gridMachine({ ...p, devices: p.devices * GENERATIONS }, { pagesPerVm: p.devices * p.pasids * PAGES_PER_IOASID * 2 + 64, pasidBits: PASID_BITS });
  return {
    ...spec,
    vms: spec.vms.map((vm) => ({
      ...vm,
      devices: vm.devices.map((d, j) => {
        const slot = j % p.devices,
          generation = Math.floor(j / p.devices);
        return { ...d, name: `${vm.name}-dev${slot + 1}${generation ? `.r${generation}` : ''}` };
      }),
    })),
  };
}

/** Per VM: the device index each slot uses now, and how many times each slot was closed. */
interface Slots {
  readonly current: number[][];
  readonly closes: number[][];
}

async function drive(w: Workload): Promise<void> {
  const m = w.sim.machine;
  const { vms, devices } = w.params;
  const byVm = Array.from({ length: vms }, (_, v) => m.devices.filter((d) => d.vm === v).map((d) => d.index));
  const slots: Slots = {
    current: byVm.map((list) => list.slice(0, devices)),
    closes: byVm.map(() => new Array<number>(devices).fill(0)),
  };
  const started = w.sim.now();
  const elapsed = () => (w.sim.now() - started) / (w.params.durationSec * 1000);
  while (!w.expired()) await Promise.all(byVm.map((list, v) => round(w, m, v, list, slots, elapsed)));
  // Let go of everything: closing the devices releases the PASIDs still parked on them.
  for (const list of slots.current) for (const device of list) await m.invoke('close_device', { device });
}

async function round(w: Workload, m: Machine, vm: number, devicesOfVm: number[], slots: Slots, elapsed: () => number): Promise<void> {
  const fd = await openFd(w, vm);
  const held: Held[] = [];
  await Promise.all(
    slots.current[vm]!.map(async (device) => {
      for (let k = 0; k < w.params.pasids; k++) {
        const a = await m.invoke('alloc', { fd });
        if (!a.ok) return; // ENOSPC: too much is parked; a device close will free it
        await m.invoke('bind_pgtbl', { fd, ioasid: a.value, pages: PAGES_PER_IOASID });
        await m.invoke('allow', { device, fd, ioasid: a.value });
        const job = await m.invoke('dma_start', { device, ioasid: a.value, seed: w.prng.fork() });
        held.push({ device, pasid: a.value, job: job.ok ? job.value : null });
      }
    }),
  );
  await w.sleep(1 + w.prng.int(3), `vm${vm}`);

  // A slot whose next close is due (closes are spread over the run) closes its device now,
  // with its DMA running, and moves on to its spare.
  const closing = slots.current[vm]!.filter((_, s) => slots.closes[vm]![s]! < GENERATIONS - 1 && elapsed() >= (slots.closes[vm]![s]! + 1) / GENERATIONS);
  for (const device of closing) {
    await m.invoke('close_device', { device });
    const s = slots.current[vm]!.indexOf(device);
    slots.closes[vm]![s]!++;
    slots.current[vm]![s] = devicesOfVm[slots.closes[vm]![s]! * slots.current[vm]!.length + s]!;
  }

  if (w.prng.chance(0.6)) {
    // close(fd) with the devices still allowed and their DMA running.
    await m.invoke('close', { fd });
    await m.invoke('alloc', { fd }); // EBADF: the FD is closed
    const h = held.length ? w.prng.pick(held) : null;
    if (h) {
      await m.invoke('disallow', { device: h.device, fd, ioasid: h.pasid }); // EBADF: the FD is closed (or the device is)
      await m.invoke('dma', { device: h.device, ioasid: h.pasid, ops: 200, seed: w.prng.fork() }); // faults: DMA was halted
    }
  } else {
    // In order (a device closed above answers EBADF; its IOASIDs are no longer held by it).
    await Promise.all(
      held.map(async (h) => {
        await m.invoke('disallow', { device: h.device, fd, ioasid: h.pasid });
        await m.invoke('destroy', { fd, ioasid: h.pasid });
      }),
    );
    await m.invoke('close', { fd });
  }
  await Promise.all(held.map((h) => (h.job !== null ? m.invoke('stop', { job: h.job }) : null)));
}
