// ENQCMD outcomes on real engine threads: #GP for a clear valid bit, VM exit plus injected #GP
// for an unmapped vPASID, ZF=1 retries when a queue is full, and the KVM_CLEAR_PASID order:
// descriptors accepted before it are drained before it returns, and nothing lands through the
// pPASID after DISALLOW/DESTROY.
import { expect } from 'chai';
import type { SimEvent } from '../../actors/events.js';
import type { MutantName } from '../../actors/env.js';
import type { EnqcmdCounts } from '../../actors/protocol.js';
import { kvmPublish } from '../../hardware/kvm.js';
import { Simulation } from '../../sim/simulation.js';
import { DSA1, VCPU10, VCPU11, VM1, eventually, kvmSpec, readyIoasid, value, withSim } from './helpers.js';

type GpEvent = Extract<SimEvent, { type: 'gp' }>;
function gpEvents(sim: Simulation): GpEvent[] {
  const seen: GpEvent[] = [];
  sim.events$.subscribe((e) => {
    if (e.type === 'gp') seen.push(e);
  });
  return seen;
}

/** A device that takes 200 ms per descriptor: its queue fills at once and stays full. */
const slowDevice = () => kvmSpec({ landingLatencyUs: 200_000 });

const VPASID = 5;
/** An IOASID allowed on dsa1 and mapped by KVM as VPASID, which the processes on `vcpus` use. */
async function mappedForEnqcmd(sim: Simulation, vcpus: readonly number[] = [VCPU10]): Promise<{ fd: number; pasid: number }> {
  const r = await readyIoasid(sim, VM1, [DSA1]);
  value(await sim.machine.invoke('kvm_set_pasid', { vm: VM1, vpasid: VPASID, fd: r.fd, ioasid: r.pasid }));
  for (const c of vcpus) value(await sim.machine.invoke('set_msr', { vcpu: c, vpasid: VPASID }));
  return r;
}

describe('kvm: ENQCMD', () => {
  it('raises #GP in the guest while IA32_PASID is not valid, before any translation', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const gps = gpEvents(sim);
      const { fd, pasid } = await readyIoasid(sim, VM1, [DSA1]);
      value(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 5, fd, ioasid: pasid }));
      const c = value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 50 }));
      expect(c).to.deep.equal({ submitted: 50, accepted: 0, retried: 0, gp: 50, exits: 0 });
      value(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 5 }));
      value(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 0 })); // cleared again
      expect(value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 10 })).gp).to.equal(10);
      await eventually(() => gps.length >= 2); // the vCPU accounts for them when the stream ends
      expect(gps.map((g) => [g.reason, g.vcpu, g.count])).to.deep.equal([
        ['msr-invalid', 'vm1.0', 50],
        ['msr-invalid', 'vm1.0', 10],
      ]);
      expect(sim.counts().gp).to.equal(60);
      expect(sim.violations).to.deep.equal([]);
    }));

  it('exits to KVM for a valid but unmapped vPASID, and KVM injects #GP', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const gps = gpEvents(sim);
      value(await m.invoke('set_msr', { vcpu: VCPU11, vpasid: 77 }));
      expect(value(await m.invoke('enqcmd', { vcpu: VCPU11, device: DSA1, count: 40 }))).to.deep.equal({
        submitted: 40,
        accepted: 0,
        retried: 0,
        gp: 40,
        exits: 40,
      });
      await eventually(() => gps.length >= 1); // KVM accounts for the exits when the stream ends
      expect(gps.map((g) => [g.reason, g.vcpu, g.vpasid, g.count])).to.deep.equal([['unmapped', 'vm1.1', 77, 40]]);
      expect(sim.violations).to.deep.equal([]);
    }));

  it('accepted descriptors carry the pPASID to the device, which DMAs through its PASID table', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      await mappedForEnqcmd(sim);
      expect(value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 16 }))).to.include({ accepted: 16, gp: 0 });
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: VPASID })); // drains them
      const c = sim.counts();
      expect(c.enqcmd).to.equal(16);
      expect(c.dma - c.dmaFaults, 'every descriptor landed').to.equal(16);
      expect(sim.violations).to.deep.equal([]);
    }));

  it('answers ZF=1 when the queue is full, writes nothing, and gives up after 32 retries', () =>
    withSim(slowDevice(), async (sim) => {
      const m = sim.machine;
      await mappedForEnqcmd(sim);
      const c: EnqcmdCounts = value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 40 }));
      // 16 queue slots, plus the 4 the device takes out of the queue each 200 ms.
      expect(c.accepted).to.be.at.least(16);
      const dropped = c.submitted - c.accepted;
      expect(dropped, 'submissions dropped after their retries').to.be.above(0);
      expect(c.retried, 'each dropped submission: one try and 32 retries').to.be.at.least(dropped * 33);
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: VPASID }));
      expect(sim.counts().dma, 'nothing was written by a ZF=1').to.equal(c.accepted);
      expect(sim.violations).to.deep.equal([]);
    }));

  it('KVM_CLEAR_PASID returns only after the descriptors accepted before it finished', () =>
    withSim(slowDevice(), async (sim) => {
      const m = sim.machine;
      await mappedForEnqcmd(sim);
      const job = value(await m.invoke('enqcmd_start', { vcpu: VCPU10, device: DSA1 }));
      await eventually(() => sim.counts().enqcmd >= 16);
      const started = performance.now();
      value(await m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: VPASID }));
      const c = sim.counts();
      expect(c.dma, 'every accepted descriptor finished').to.equal(c.enqcmd);
      expect(performance.now() - started, 'it waited for the slow device').to.be.above(150);
      value(await m.invoke('stop', { job }));
      expect(sim.counts().enqcmd, 'nothing accepted after the clear').to.equal(c.enqcmd);
      expect(sim.violations).to.deep.equal([]);
    }));

  it('an ENQCMD through a translation the uAPI never set up is enqcmd-unmapped (checker test)', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const { pasid } = await readyIoasid(sim, VM1, [DSA1]);
      kvmPublish(m.hw, VM1, 8, pasid); // a buggy KVM writes the table behind the uAPI's back
      value(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 8 }));
      value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 4 }));
      sim.monitor.poll();
      expect(sim.violations.map((v) => v.invariant)).to.include('enqcmd-unmapped');
    }));

  it('an ENQCMD carrying another pPASID than the translation set up is a stale translation (checker test)', () =>
    withSim(kvmSpec(), async (sim) => {
      const m = sim.machine;
      const a = await readyIoasid(sim, VM1, [DSA1]);
      const b = await readyIoasid(sim, VM1, [DSA1]);
      value(await m.invoke('kvm_set_pasid', { vm: VM1, vpasid: 8, fd: a.fd, ioasid: a.pasid }));
      kvmPublish(m.hw, VM1, 8, b.pasid); // the table now names a pPASID the uAPI never mapped there
      value(await m.invoke('set_msr', { vcpu: VCPU10, vpasid: 8 }));
      value(await m.invoke('enqcmd', { vcpu: VCPU10, device: DSA1, count: 4 }));
      sim.monitor.poll();
      expect(sim.violations.map((v) => v.invariant)).to.include('pasid-reuse');
    }));

  describe('nothing lands through the pPASID after DISALLOW / DESTROY (real threads)', () => {
    /** vCPUs stream ENQCMDs and the device DMAs while the PASID is torn down in one of the orders. */
    async function teardownRound(mutant: MutantName | null, round: number): Promise<string[]> {
      // A 1 ms flight time widens the window a missing drain leaves, so the catch does not depend
      // on how fast this machine's main thread answers (the correct model must hold all the same).
      const sim = new Simulation({ spec: { ...kvmSpec(), mutant, landingLatencyUs: 1000 }, seed: round });
      const m = sim.machine;
      try {
        const { fd, pasid } = await mappedForEnqcmd(sim, [VCPU10, VCPU11]);
        const jobs = [
          value(await m.invoke('enqcmd_start', { vcpu: VCPU10, device: DSA1, seed: round })),
          value(await m.invoke('enqcmd_start', { vcpu: VCPU11, device: DSA1, seed: round + 1 })),
          value(await m.invoke('dma_start', { device: DSA1, ioasid: pasid, seed: round })),
        ];
        await eventually(() => sim.counts().enqcmd >= 32);
        const steps = [
          () => m.invoke('kvm_clear_pasid', { vm: VM1, vpasid: VPASID }),
          () => m.invoke('disallow', { device: DSA1, fd, ioasid: pasid }),
          () => m.invoke('destroy', { fd, ioasid: pasid }),
        ];
        // Rounds alternate between the order of docs/kernel-facts.md#tearing-down-a-vpasid-translation and
        // DISALLOW/DESTROY while KVM still maps it.
        for (const i of round % 2 === 0 ? [0, 1, 2] : [1, 2, 0]) value(await steps[i]!());
        await new Promise((r) => setTimeout(r, 5)); // the vCPUs and the device keep trying
        for (const j of jobs) value(await m.invoke('stop', { job: j }));
        expect(value(await m.pasidState(pasid))).to.equal('free');
      } finally {
        await sim.finish();
      }
      return sim.violations.map((v) => v.invariant);
    }

    it('holds over 8 rounds with the correct model', async () => {
      for (let round = 0; round < 8; round++) expect(await teardownRound(null, round), `round ${round}`).to.deep.equal([]);
    });

    it('is caught when teardown skips the drain', async () => {
      const caught: string[] = [];
      for (let round = 0; round < 24 && caught.length === 0; round++) caught.push(...(await teardownRound('skip-drain', round)));
      expect(
        caught.some((c) => c === 'dma-after-teardown' || c === 'use-after-free'),
        `caught as ${caught.join(', ') || 'nothing'}`,
      ).to.equal(true);
    });
  });
});
