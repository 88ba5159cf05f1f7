// A simulation set up for DMA measurements: one VM with one device per lane, each lane's device
// allowed its own bound IOASID, and helpers to run k lanes' DMA at full speed and read how many
// translations the engines did. Shared by the DMA, scaling and teardown sections.
import { DEFAULT_DEVICE, defaultMachineSpec } from '../machine/spec.js';
import type { Result } from '../actors/result.js';
import { EC, EC_STRIDE } from '../hardware/layout.js';
import { Simulation } from '../sim/simulation.js';
import { sleep } from './stats.js';

export const SPAN = 16; // IOVA pages per lane: every translation after warm-up is an IOTLB hit
export const WARM_MS = 20; // engines wake on the doorbell and fill their IOTLBs before a sample starts

export function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`bench: ${what} failed: ${r.errno} ${r.message}`);
  return r.value;
}

export class DmaRig {
  private constructor(
    readonly sim: Simulation,
    readonly fd: number,
    readonly pasids: readonly number[],
  ) {}

  /** `lanes` devices on `workers` engines; `extraPages` of the VM stay free for the caller. */
  static async create(workers: number, lanes: number, extraPages = 0): Promise<DmaRig> {
    const devices = Array.from({ length: lanes }, (_, d) => ({ name: `dev${d + 1}`, ...DEFAULT_DEVICE }));
    const spec = defaultMachineSpec({ workers, vms: [{ name: 'vm1', vcpus: 1, pages: lanes * SPAN + extraPages, quota: null, devices }] });
    const sim = new Simulation({ spec, seed: 1 });
    const m = sim.machine;
    const fd = must(await m.invoke('open', { vm: 0 }), 'open');
    const pasids: number[] = [];
    for (let d = 0; d < lanes; d++) {
      const p = must(await m.invoke('alloc', { fd }), 'alloc');
      must(await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: SPAN }), 'bind_pgtbl');
      must(await m.invoke('allow', { device: d, fd, ioasid: p }), 'allow');
      pasids.push(p);
    }
    return new DmaRig(sim, fd, pasids);
  }

  /** Translations (landed + faulted) done by every engine so far. */
  translations(): number {
    const c = this.sim.machine.hw.engineCounts;
    let n = 0;
    for (let e = 0; e < this.sim.options.spec.workers; e++) n += c[e * EC_STRIDE + EC.LANDED]! + c[e * EC_STRIDE + EC.FAULTED]!;
    return n;
  }

  /** Start unbounded DMA on lanes `from` .. `from + k - 1` (consecutive starts use distinct engines). */
  async start(k: number, from = 0): Promise<number[]> {
    const jobs: number[] = [];
    for (let i = from; i < from + k; i++)
      jobs.push(must(await this.sim.machine.invoke('dma_start', { device: i, ioasid: this.pasids[i]!, seed: i + 1 }), 'dma_start'));
    return jobs;
  }

  async stop(jobs: readonly number[]): Promise<void> {
    for (const j of jobs) must(await this.sim.machine.invoke('stop', { job: j }), 'stop');
  }

  /** Translations per second of k lanes running at once for `ms`, after a warm-up. */
  async rate(k: number, ms: number): Promise<number> {
    const jobs = await this.start(k);
    await sleep(WARM_MS);
    const n0 = this.translations();
    const t0 = performance.now();
    await sleep(ms);
    const n = this.translations() - n0;
    const dt = performance.now() - t0;
    await this.stop(jobs);
    return (n * 1000) / dt;
  }

  finish(): Promise<void> {
    return this.sim.finish();
  }
}
