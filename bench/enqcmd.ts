// Section 3: accepted ENQCMD submissions per second on one engine thread, for a vCPU whose
// IA32_PASID names a mapped vPASID, against a bare loop doing the same shared-memory steps of a
// submission and its consumption in a worker thread (bare-enqcmd-worker.ts), in interleaved rounds.
// The subject's queue is consumed by the other engine thread with no landing delay, so the
// consumer keeps up and the figure is the submission path, not the simulated device's speed
// (at the default 200 us landing latency a device's 4 work slots allow 20 k descriptors/s).
import { DEFAULT_DEVICE, defaultMachineSpec } from '../machine/spec.js';
import { DEFAULT_PGTBL_PAGES } from '../uapi/ops.js';
import { ENQ_RETRY_US } from '../hardware/enqcmd.js';
import { EC, EC_STRIDE, J, JOB_STRIDE } from '../hardware/layout.js';
import { swqConsumer } from '../hardware/swq.js';
import { Simulation } from '../sim/simulation.js';
import type { BareEnqcmdParams } from './bare-enqcmd-worker.js';
import { BareWorker } from './bare-worker.js';
import { type Section, pairedRow } from './result.js';
import { WARM_MS, must } from './rig.js';
import { interleave, median, sleep } from './stats.js';

export interface EnqcmdOptions {
  readonly rounds: number;
  readonly roundMs: number;
}

const VPASID = 1;
const VCPU = 0;
const DEVICE = 0;
const ENGINES = 2; // one submits, the other consumes
type Outcomes = { accepted: number; retried: number; gp: number; exits: number };

/** One VM with one vCPU and one ENQCMD device, allowed one IOASID that KVM maps as VPASID. */
async function setUp(): Promise<{ sim: Simulation; ppasid: number }> {
  const devices = [{ name: 'dsa1', ...DEFAULT_DEVICE, enqcmd: true }];
  const spec = defaultMachineSpec({
    workers: ENGINES,
    landingLatencyUs: 0,
    vms: [{ name: 'vm1', vcpus: 1, pages: DEFAULT_PGTBL_PAGES, quota: null, devices }],
  });
  const sim = new Simulation({ spec, seed: 1 });
  const m = sim.machine;
  const fd = must(await m.invoke('open', { vm: 0 }), 'open');
  const ppasid = must(await m.invoke('alloc', { fd }), 'alloc');
  must(await m.invoke('bind_pgtbl', { fd, ioasid: ppasid, pages: DEFAULT_PGTBL_PAGES }), 'bind_pgtbl');
  must(await m.invoke('allow', { device: DEVICE, fd, ioasid: ppasid }), 'allow');
  must(await m.invoke('kvm_set_pasid', { vm: 0, vpasid: VPASID, fd, ioasid: ppasid }), 'kvm_set_pasid');
  must(await m.invoke('set_msr', { vcpu: VCPU, vpasid: VPASID }), 'set_msr');
  return { sim, ppasid };
}

function outcomes(sim: Simulation, engine: number): Outcomes {
  const c = sim.machine.hw.engineCounts;
  const b = engine * EC_STRIDE;
  return { accepted: c[b + EC.ACCEPTED]!, retried: c[b + EC.RETRIED]!, gp: c[b + EC.GP]!, exits: c[b + EC.EXITS]! };
}

/**
 * One round: the vCPU's stream to DEVICE on the engine that does not consume DEVICE's queue, and
 * that engine's outcomes per second after a warm-up. The machine hands jobs to engines in turn,
 * so a stream that landed on the consumer is stopped and started again on the other engine.
 */
async function round(sim: Simulation, ms: number): Promise<Outcomes> {
  const m = sim.machine;
  for (let tries = 0; tries < ENGINES; tries++) {
    const job = must(await m.invoke('enqcmd_start', { vcpu: VCPU, device: DEVICE }), 'enqcmd_start');
    const engine = m.hw.jobs[job * JOB_STRIDE + J.ENGINE]!;
    if (engine === swqConsumer(m.hw, DEVICE)) {
      must(await m.invoke('stop', { job }), 'stop');
      continue;
    }
    await sleep(WARM_MS);
    const o0 = outcomes(sim, engine);
    const t0 = performance.now();
    await sleep(ms);
    const o1 = outcomes(sim, engine);
    const s = (performance.now() - t0) / 1000;
    must(await m.invoke('stop', { job }), 'stop');
    return { accepted: (o1.accepted - o0.accepted) / s, retried: (o1.retried - o0.retried) / s, gp: (o1.gp - o0.gp) / s, exits: (o1.exits - o0.exits) / s };
  }
  throw new Error("bench: the ENQCMD stream never landed on an engine other than its queue's consumer");
}

export async function benchEnqcmd(o: EnqcmdOptions): Promise<Section> {
  const { sim, ppasid } = await setUp();
  const bare = new BareWorker('./bare-enqcmd-worker.js', { vpasid: VPASID, ppasid, span: DEFAULT_PGTBL_PAGES, seed: 1 } satisfies BareEnqcmdParams);
  const seen: Outcomes[] = [];
  try {
    const sides = {
      engine: async () => {
        const r = await round(sim, o.roundMs);
        seen.push(r);
        return r.accepted;
      },
      bare: () => bare.warmRate(WARM_MS, o.roundMs),
    };
    await interleave(1, sides);
    seen.length = 0;
    const r = await interleave(o.rounds, sides);
    const per = (k: keyof Outcomes) => median(seen.map((x) => x[k]));
    if (sim.violations.length) throw new Error(`bench: the ENQCMD run broke an invariant: ${sim.violations[0]!.invariant}`);
    return {
      id: 'enqcmd',
      title: 'ENQCMD submissions/s per worker',
      baseline:
        'a bare loop in a worker thread doing the same MSR/KVM-table loads, CAS on the queue tail, descriptor store and consumer take, no model, same duration',
      rows: [pairedRow('accepted ENQCMD submissions/s, one engine thread', r.engine, r.bare, 'subm/s')],
      figures: {
        rounds: o.rounds,
        roundMs: o.roundMs,
        engines: ENGINES,
        retriedPerSec: per('retried'),
        gpPerSec: per('gp'),
        exitsPerSec: per('exits'),
        retriesPerAccepted: median(seen.map((x) => x.retried / x.accepted)),
        // Each ZF=1 keeps the vCPU away ENQ_RETRY_US before it tries again: the share of the run it spent so.
        retryAwayShare: (per('retried') * ENQ_RETRY_US) / 1e6,
      },
      notes: [
        `one vCPU streams ENQCMD with IA32_PASID = mapped vPASID ${VPASID}; its device's queue is consumed by the other engine, landing latency 0`,
        "retries (ZF=1, queue full) and #GP (none expected: the vPASID stays mapped) are the submitting engine's, per second, medians over rounds",
      ],
    };
  } finally {
    await bare.close();
    await sim.finish();
  }
}
