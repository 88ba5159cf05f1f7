// A small VMM model that embeds ioasid-sim, the way a larger model (hot-plug, migration, guest
// boot) would: its own nact system and VMM actor, the ioasid subsystem spawned under that actor,
// a device hot-plugged into a guest whose vIOMMU binds PASIDs for two guest processes, ENQCMD
// from two vCPUs and DMA from the device, then a hot-unplug while all of that is running (it
// waits until DMA has landed and ENQCMD was accepted, so the load is real). It must stay clean. Run it: `node dist/examples/vmm-hotplug.js` (exit 0 when clean).
import nact from 'nact';
import { createSimulation, type IoasidSim, type SimEvent } from '../index.js';

export interface VmmOutcome {
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly accepted: number;
  readonly landed: number;
  readonly gpEvents: number;
  readonly unplugAnswer: string;
  /** PASID-entry teardowns of the hot-unplug that began with the device's DMA in flight (the hardware's count). */
  readonly unplugRacedDma: number;
}

/** How long the example waits for its load to be real (worker threads take a while to start). */
const LOAD_BOUND_MS = 20_000;

type VmmMsg = { kind: 'plugged' | 'unplugged'; device: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const must = <T>(r: { ok: true; value: T } | { ok: false; errno: string; message: string }, what: string): T => {
  if (!r.ok) throw new Error(`${what}: ${r.errno} ${r.message}`);
  return r.value;
};

export async function runVmmExample(loadMs = 300): Promise<VmmOutcome> {
  // The embedder's own actor system and VMM actor (it only keeps a log of hot-plug events here).
  const system = (nact.start as unknown as (o: { name: string }) => nact.Ref<never>)({ name: `vmm-model-${process.pid}` });
  const log: VmmMsg[] = [];
  const vmm = nact.spawnStateless(
    system,
    (msg: VmmMsg) => {
      log.push(msg);
    },
    'vmm',
  );

  const sim: IoasidSim = createSimulation({
    parent: vmm,
    machine: {
      workers: 2,
      vms: [{ name: 'guest', vcpus: 2, pages: 256, quota: null, devices: [{ name: 'dsa0', iommu: 0, pasid: true, ats: true, enqcmd: true }] }],
    },
  });
  let gpEvents = 0;
  sim.events$.subscribe((e: SimEvent) => {
    if (e.type === 'gp') gpEvents++;
  });
  try {
    // Hot-plug: the device appears in the guest; its vIOMMU binds a PASID per guest process.
    const dsa = sim.device('dsa0');
    nact.dispatch(vmm, { kind: 'plugged', device: dsa.name });
    const viommu = sim.viommu('guest');
    const p1 = must(await viommu.bind(dsa, 1), 'bind vPASID 1');
    const p2 = must(await viommu.bind(dsa, 2), 'bind vPASID 2');
    // Two guest processes scheduled on two vCPUs submit ENQCMD; the device also DMAs on its own.
    const cpu0 = sim.vcpu('guest.0'),
      cpu1 = sim.vcpu('guest.1');
    must(await cpu0.setMsr(1), 'IA32_PASID of vCPU 0');
    must(await cpu1.setMsr(2), 'IA32_PASID of vCPU 1');
    const jobs = [
      must(await cpu0.enqcmdStart(dsa), 'ENQCMD from vCPU 0'),
      must(await cpu1.enqcmdStart(dsa), 'ENQCMD from vCPU 1'),
      must(await dsa.dmaStart(p1), 'DMA with PASID 1'),
      must(await dsa.dmaStart(p2), 'DMA with PASID 2'),
    ];
    // Under load means load that is real: DMA landed and ENQCMD accepted, as the hardware counts
    // them, before the unplug (not merely started: the engine threads may still be starting).
    const loaded = () => {
      const c = sim.simulation.coverage();
      return c.landed > 0 && c.accepted > 0;
    };
    const bound = Date.now() + LOAD_BOUND_MS;
    while (!loaded()) {
      if (Date.now() > bound) throw new Error(`no load after ${LOAD_BOUND_MS} ms: ${JSON.stringify(sim.simulation.coverage())}`);
      await sleep(5);
    }
    await sleep(loadMs);
    // Hot-unplug under load: the VFIO device FD closes while every job is still running. Closing
    // disallows everything the device holds (each teardown drains what is in flight).
    const racedBefore = sim.simulation.coverage().teardownsWithDmaInFlight;
    const unplug = await dsa.close();
    const unplugRacedDma = sim.simulation.coverage().teardownsWithDmaInFlight - racedBefore;
    nact.dispatch(vmm, { kind: 'unplugged', device: dsa.name });
    // The guest's vIOMMU then drops its bindings (KVM translations, IOASIDs) for the gone device.
    await viommu.unbind(dsa, 1);
    await viommu.unbind(dsa, 2);
    let accepted = 0,
      landed = 0;
    for (const j of jobs) {
      const c = must(await j.stop(), 'stop a job');
      accepted += c.accepted;
      landed += c.landed;
    }
    const st = await sim.shutdown();
    return {
      ok: st.ok && log.length === 2,
      violations: st.violations.map((v) => `${v.invariant}: ${v.detail}`),
      accepted,
      landed,
      gpEvents,
      unplugAnswer: unplug.ok ? 'ok' : unplug.errno,
      unplugRacedDma,
    };
  } finally {
    await sim.shutdown();
    nact.stop(system);
  }
}

// Run directly: print the outcome, exit 1 when a violation was seen.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const out = await runVmmExample();
  console.log(JSON.stringify(out, null, 2));
  process.exitCode = out.ok ? 0 : 1;
}
