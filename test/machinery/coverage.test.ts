// CLEAN means "this ordering raced and held": a run reports what it raced (coverage, counted by
// the hardware), a run that raced nothing it exists to race is INCONCLUSIVE, a run with a call
// that could not complete is FAILED, a `stop` waits for its job's `min_landed`, and every
// DMA-family anomaly the engines saw is counted, not only the records they kept.
import { expect } from 'chai';
import { ok } from '../../actors/result.js';
import { appendAnomaly } from '../../hardware/anomalies.js';
import { Anomaly, EC, EC_STRIDE, createHardware } from '../../hardware/layout.js';
import { Monitor } from '../../invariants/monitor.js';
import { runSweep } from '../../explore/sweep.js';
import { formatRunSummary, formatSweepSummary } from '../../report/summary.js';
import { DEFAULT_PARAMS, type Scenario, gridMachine, openFdPerVm, runScenario } from '../../scenarios/scenario.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import type { ModeOptions } from '../../sim/mode.js';

const DET: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };

/** A workload that sets up and tears down, but never starts DMA: it races nothing. */
const idle: Scenario = {
  name: 'idle',
  summary: 'allocates and destroys IOASIDs without any DMA',
  races: ['teardownsWithDmaInFlight', 'landed'],
  machine: (p) => gridMachine(p, { pagesPerVm: 64 }),
  async drive(w) {
    const m = w.sim.machine;
    const [fd] = await openFdPerVm(w);
    while (!w.expired()) {
      const a = await m.invoke('alloc', { fd: fd! });
      if (!a.ok) break;
      await m.invoke('bind_pgtbl', { fd: fd!, ioasid: a.value, pages: 4 });
      await m.invoke('allow', { device: 0, fd: fd!, ioasid: a.value });
      await m.invoke('disallow', { device: 0, fd: fd!, ioasid: a.value });
      await m.invoke('destroy', { fd: fd!, ioasid: a.value });
      await w.sleep(1, 'idle');
    }
  },
};
const small = { ...DEFAULT_PARAMS, vms: 1, devices: 1, pasids: 1, durationSec: 0.01, mode: DET };

const seqFile = (name: string, steps: string) =>
  parseSequence(
    `name: ${name}\nmachine:\n  vms:\n    - name: vm1\n      pages: 64\n      devices:\n        - { name: dev1 }\nsteps:\n${steps}`,
    `${name}.yaml`,
  );
const SETUP = `  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1 }
  - { op: bind_pgtbl, fd: fd1, ioasid: a1, pages: 16 }
`;

describe('coverage and verdicts', function () {
  this.timeout(60_000);

  it('a scenario run whose workload never starts DMA is INCONCLUSIVE, not clean, and says what did not happen', async () => {
    const r = await runScenario(idle, { ...small, seed: 1 });
    expect(r.violations).to.deep.equal([]);
    expect(r.error).to.equal(undefined);
    expect(r.coverage.teardowns, 'teardowns did run').to.be.greaterThan(0);
    expect(r.coverage).to.include({ teardownsWithDmaInFlight: 0, landed: 0 });
    expect(r).to.include({ verdict: 'inconclusive', ok: false });
    expect(r.inconclusive).to.deep.equal([
      'no teardown began with DMA in flight (coverage.teardownsWithDmaInFlight is 0)',
      'no DMA access landed (coverage.landed is 0)',
    ]);
    const text = formatRunSummary(r);
    expect(text).to.match(/with DMA in flight\s+0\s+NOT RACED/);
    expect(text).to.include('result: INCONCLUSIVE, no violation, but no teardown began with DMA in flight').and.include('(exit 3)');
  });

  it('a deterministic teardown-race run races its teardowns, and says so in JSON and summary alike', async () => {
    const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 0.02, seed: 3, mode: DET });
    expect(r).to.include({ verdict: 'clean', ok: true });
    expect(r.races).to.deep.equal(['teardownsWithDmaInFlight', 'landed']);
    expect(r.coverage.teardownsWithDmaInFlight).to.be.greaterThan(0);
    expect(r.coverage.teardownsWithDmaInFlight).to.be.at.most(r.coverage.teardowns);
    expect(r.coverage.landed).to.equal(r.counts.dma - r.counts.dmaFaults);
    const text = formatRunSummary(r);
    expect(text).to.match(new RegExp(`with DMA in flight\\s+${r.coverage.teardownsWithDmaInFlight}\\s+raced`));
    expect(text).to.match(new RegExp(`PASID-entry teardowns begun\\s+${r.coverage.teardowns}\\b`));
  });

  it('a sweep counts and names its inconclusive seeds', async () => {
    const r = await runSweep(idle, { ...small }, { range: { from: 1, to: 2 }, shard: null, mode: DET });
    expect(r).to.include({ verdict: 'inconclusive', ok: false });
    expect(r.runs.map((x) => x.verdict)).to.deep.equal(['inconclusive', 'inconclusive']);
    expect(r.runs[0]!.coverage.teardowns).to.be.greaterThan(0);
    const text = formatSweepSummary(r);
    expect(text).to.include('0 clean, 2 inconclusive, 0 failed').and.include('result: INCONCLUSIVE, seed(s) 1, 2');
  });

  it('a `dma` step that answers EIO fails the run, even where the file expects EIO, and the summary names it', async () => {
    // One engine runs three background jobs and the burst: the burst takes longer than the
    // deterministic hardware-wait bound (100 virtual ms), so its call answers EIO.
    const seq = seqFile(
      'eio',
      `${SETUP}  - { op: allow, device: dev1, fd: fd1, ioasid: a1 }
  - { op: dma_start, device: dev1, ioasid: a1, as: j1 }
  - { op: dma_start, device: dev1, ioasid: a1, as: j2 }
  - { op: dma_start, device: dev1, ioasid: a1, as: j3 }
  - { op: dma, device: dev1, ioasid: a1, ops: 1000000, expect: EIO }
`,
    );
    const r = await runSequence(seq, { mode: DET, workers: 1 });
    expect(r.steps!.map((s) => s.met)).to.not.include(false);
    expect(r.steps![7]!.result).to.equal('EIO');
    expect(r.error).to.match(/^dma answered EIO: hardware did not answer/);
    expect(r).to.include({ verdict: 'failed', ok: false });
    expect(formatRunSummary(r)).to.include('ERROR: dma answered EIO').and.include('result: FAILED');
  });

  it("a `stop` waits for its dma_start's min_landed before it stops the job", async () => {
    const seq = seqFile(
      'min-landed',
      `${SETUP}  - { op: allow, device: dev1, fd: fd1, ioasid: a1 }
  - { op: dma_start, device: dev1, ioasid: a1, min_landed: 5000, as: j1 }
  - { op: stop, job: j1 }
  - { op: disallow, device: dev1, fd: fd1, ioasid: a1 }
`,
    );
    const r = await runSequence(seq);
    const stop = r.steps![5]!;
    expect((stop.value as { landed: number }).landed).to.be.at.least(5000);
    expect(stop.inconclusive).to.equal(undefined);
    expect(r).to.include({ verdict: 'clean', ok: true });
  });

  it('a `stop` whose job could land nothing of its min_landed is INCONCLUSIVE, and answers as soon as nothing more can land', async () => {
    // Never allowed: every access faults, so nothing can land.
    const seq = seqFile(
      'never-landed',
      `${SETUP}  - { op: dma_start, device: dev1, ioasid: a1, min_landed: 1, as: j1 }
  - { op: stop, job: j1 }
`,
    );
    const r = await runSequence(seq);
    const stop = r.steps![4]!;
    expect(stop).to.include({ result: 'ok', met: true });
    expect((stop.value as { landed: number }).landed).to.equal(0);
    expect(stop.inconclusive).to.equal("job j1 landed 0 of the 1 accesses its dma_start's min_landed asks for");
    expect(r).to.include({ verdict: 'inconclusive', ok: false });
    expect(r.inconclusive).to.deep.equal([`step 4 stop: ${stop.inconclusive}`]);
    expect(r.durationMs, 'it did not wait out the reply bound (10 s)').to.be.below(9000);
    expect(formatRunSummary(r)).to.include('INCONCLUSIVE').and.include('(exit 3)');
  });

  it('counts every DMA-family anomaly the engines saw, not only the records they kept', async () => {
    const hw = createHardware({ pasidBits: 8, deviceVm: [0], vmPages: [16], engines: 2, pasidLeaves: 4, pgtables: 4, vcpuVm: [] });
    const monitor = new Monitor({
      hw,
      deviceVm: [0],
      names: { vm: ['vm1'], device: ['dev1'], vcpu: [] },
      vmQuota: [null],
      pasidState: async () => ok('free'),
      onViolation: () => {},
    });
    // Engine 0 saw 40 accesses land in freed pages and kept 3 records; engine 1 saw 7 land
    // through a torn-down (device, PASID) and kept 2.
    for (let i = 0; i < 3; i++) appendAnomaly(hw, { kind: Anomaly.STALE_PAGE, engine: 0, device: 0, pasid: 1, page: i, seen: 1, expected: 0 });
    for (let i = 0; i < 2; i++) appendAnomaly(hw, { kind: Anomaly.REVOKED, engine: 1, device: 0, pasid: 2, page: -1, seen: 0, expected: 1 });
    hw.engineCounts[EC.ANOMALY_BASE + Anomaly.STALE_PAGE] = 40;
    hw.engineCounts[EC_STRIDE + EC.ANOMALY_BASE + Anomaly.REVOKED] = 7;
    await monitor.final();
    expect(Object.fromEntries(monitor.counts)).to.deep.equal({ 'use-after-free': 40, 'dma-after-teardown': 7 });
    expect(monitor.violations).to.have.length(5);
  });
});
