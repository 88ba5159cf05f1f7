// Jobs on the engine threads: DMA by a device with a PASID, ENQCMD by a vCPU. A job runs in a
// slot of the shared job table until it ends or is stopped; a vCPU runs one ENQCMD stream at a time.
import { type ActorEnv, pasidArg } from '../actors/env.js';
import type { KvmMsg } from '../actors/protocol.js';
import { type Result, err, ok } from '../actors/result.js';
import { type ActorRef, ask, tell } from '../actors/runtime.js';
import type { JobCounts, JobSpec } from '../hardware/jobs.js';
import { JobKind } from '../hardware/layout.js';
import type { EngineHost } from '../workers/pool.js';
import type { DeviceInfo, JobRunner, VcpuInfo } from '../uapi/kernel.js';
import { DEFAULT_PGTBL_PAGES } from '../uapi/ops.js';
import type { FaultQueues } from './fault-queues.js';
import { ENQCMD_RETRIES } from './spec.js';

export interface JobsWiring {
  readonly env: ActorEnv;
  readonly engines: EngineHost;
  readonly workers: number;
  readonly devices: readonly DeviceInfo[];
  readonly vcpus: readonly VcpuInfo[];
  readonly kvms: readonly ActorRef<KvmMsg>[];
  readonly faults: FaultQueues;
}

export class Jobs implements JobRunner {
  private nextEngine = 0;
  /** Running jobs, with the vCPU of an ENQCMD job. */
  private readonly started = new Map<number, { readonly vcpu: number | null }>();
  /** The ENQCMD job of each vCPU that runs one: a vCPU executes one instruction stream. */
  private readonly vcpuJob = new Map<number, number>();

  constructor(private readonly w: JobsWiring) {}

  get running(): number[] {
    return [...this.started.keys()];
  }
  isRunning(job: number): boolean {
    return this.started.has(job);
  }

  /** Start the engine threads if they are not running, and give the job to the next one. */
  private launch(job: Omit<JobSpec, 'engine'>, vcpu: number | null): Result<number> {
    if (!Number.isInteger(job.budget) || job.budget === 0 || job.budget < -1) return err('EINVAL', `ops must be a positive integer (got ${job.budget})`);
    const { engines, env } = this.w;
    if (!engines.running) {
      if (env.injectFault('worker-start')) return err('ENOMEM', 'worker start failed (injected)');
      engines.start();
    }
    if (engines.failure) return err('EIO', engines.failure);
    const engine = this.nextEngine++ % this.w.workers;
    const id = env.host.jobs.start({ ...job, engine });
    if (id === null) return err('ENOSPC', 'every job slot is in use');
    this.started.set(id, { vcpu });
    if (vcpu !== null) this.vcpuJob.set(vcpu, id);
    return ok(id);
  }

  async startDma(device: number, pasid: number, budget: number, seed: number, minLanded = 0): Promise<Result<number>> {
    if (!this.w.devices[device]) return err('EINVAL', `no device ${device}`);
    const p = pasidArg(this.w.env, pasid);
    if (!p.ok) return p;
    const ioasid = this.w.env.attachments.of(device, pasid);
    const ref = ioasid === undefined ? undefined : this.w.env.globalIoasids.get(ioasid);
    const info = ref ? await ask('uapi', ref, { t: 'info' }, this.w.env.replyTimeoutMs) : null;
    // Addresses spread over the page table of the IOASID attached there, or a default span where it has none.
    const span = info?.ok && info.value.pages > 0 ? info.value.pages : DEFAULT_PGTBL_PAGES;
    return this.launch({ kind: JobKind.DMA, device, pasid, budget, seed, span, minLanded }, null);
  }

  /** ENQCMDs by `vcpu` to `device`'s portal, which only exists in the guest the device is assigned to. */
  startEnqcmd(c: VcpuInfo, d: DeviceInfo, budget: number, seed: number): Result<number> {
    if (d.vm !== c.vm) return err('EINVAL', `device ${d.name} is not assigned to the VM of vCPU ${c.name}`);
    if (!d.enqcmd) return err('EOPNOTSUPP', `device ${d.name} has no shared work queue (no ENQCMD)`);
    if (this.vcpuJob.has(c.index)) return err('EBUSY', `vCPU ${c.name} is already running an ENQCMD stream (job ${this.vcpuJob.get(c.index)})`);
    return this.launch(
      { kind: JobKind.ENQCMD, device: d.index, pasid: 0, budget, seed, span: DEFAULT_PGTBL_PAGES, vcpu: c.index, retries: ENQCMD_RETRIES },
      c.index,
    );
  }

  async finish(id: number, stop: boolean): Promise<Result<JobCounts>> {
    const { env, engines } = this.w;
    const jobs = env.host.jobs;
    try {
      if (stop) {
        // A job started with min_landed: the stop answers once that much landed (bounded like a reply).
        await jobs.awaitLanded(id, env.host.waiter, env.now, env.replyTimeoutMs, () => this.w.faults.service());
        jobs.requestStop(id);
      }
      await this.w.faults.untilDone(id);
      return ok(jobs.counts(id));
    } catch (e) {
      return err('EIO', engines.failure ?? (e as Error).message);
    } finally {
      jobs.release(id);
      const vcpu = this.started.get(id)?.vcpu ?? null;
      this.started.delete(id);
      if (vcpu !== null) this.vcpuEnded(vcpu);
    }
  }

  /** A vCPU's ENQCMD stream ended: KVM and the guest account for the #GPs it raised. */
  private vcpuEnded(vcpu: number): void {
    const c = this.w.vcpus[vcpu]!;
    this.vcpuJob.delete(vcpu);
    tell('uapi', this.w.kvms[c.vm]!, { t: 'exits' });
    tell('uapi', c.ref, { t: 'gps' });
  }

  /** Ask every running job to stop (the engines then finish them). */
  stopAll(): void {
    for (const id of this.started.keys()) this.w.env.host.jobs.requestStop(id);
  }
}
