// Every built-in scenario runs clean with the correct model on real threads, and does what its
// name says: the calls it makes and how they answered (the report's `outcomes`) show the paths it
// exists for. How much a run does in a second depends on the machine's load, so what it exercised
// is judged on a deterministic run, where it is a function of the seed.
import { expect } from 'chai';
import { SCENARIOS } from '../../scenarios/builtins.js';
import { cli, oneJson } from './cli-process.js';

type Outcomes = Record<string, Record<string, number>>;
interface RunJson {
  ok: boolean;
  scenario: string;
  counts: Record<string, number>;
  outcomes: Outcomes;
  coverage: Record<string, number>;
  violationCounts: Record<string, number>;
  violations: { detail: string }[];
}

const n = (o: Outcomes, op: string, outcome: string) => o[op]?.[outcome] ?? 0;

/** What each scenario must have exercised in a short deterministic run (a scenario added later gets its line here). */
const EXERCISES: Record<string, (o: Outcomes, r: RunJson) => void> = {
  'teardown-race': (o) => {
    expect(n(o, 'destroy', 'ok'), 'teardowns').to.be.greaterThan(10);
    expect(n(o, 'allow', 'EBADF') + n(o, 'allow', 'ENOENT'), 'cross-FD attempts').to.be.greaterThan(0);
  },
  churn: (o) => {
    expect(n(o, 'alloc', 'ENOSPC'), 'ALLOC hitting an exhausted space').to.be.greaterThan(0);
    expect(n(o, 'alloc', 'ok'), 'PASIDs recycled (more ALLOCs than the 63 PASIDs of the space)').to.be.greaterThan(63);
  },
  isolation: (o, r) => {
    expect(n(o, 'allow', 'EBADF'), "ALLOW through another VM's FD").to.be.greaterThan(0);
    expect(n(o, 'allow', 'ENOENT'), "ALLOW of another FD's IOASID").to.be.greaterThan(0);
    expect(n(o, 'bind_pgtbl', 'ENOENT') + n(o, 'destroy', 'ENOENT'), "BIND/DESTROY of another VM's IOASID").to.be.greaterThan(0);
    expect(n(o, 'allow', 'ok'), 'no cross access may succeed').to.equal(n(o, 'alloc', 'ok'));
    expect(r.counts.dmaFaults, 'DMA with PASIDs never given').to.be.greaterThan(0);
    expect(r.counts.dma - r.counts.dmaFaults, 'legitimate DMA').to.be.greaterThan(0);
  },
  'unmap-race': (o, r) => {
    expect(n(o, 'unmap', 'ok'), 'UNMAPs').to.be.greaterThan(50);
    expect(n(o, 'map', 'ok'), 'MAPs back over the unmapped ranges').to.be.greaterThan(n(o, 'unmap', 'ok'));
    expect(n(o, 'mm_exit', 'ok'), 'process exits under DMA').to.be.greaterThan(0);
    expect(r.counts.dmaFaults, 'accesses to unmapped ranges fault').to.be.greaterThan(0);
    expect(r.counts.dma - r.counts.dmaFaults, 'the rest land').to.be.greaterThan(0);
  },
  iopf: (o, r) => {
    expect(n(o, 'fault_respond', 'ok'), 'page requests answered through fault queues').to.be.greaterThan(5);
    expect(n(o, 'destroy', 'ok'), 'teardowns').to.be.greaterThan(5);
    expect(r.coverage.pageRequests, 'page requests queued').to.be.greaterThan(0);
    expect(r.coverage.pageResponses, 'page requests answered').to.be.greaterThan(0);
    expect(r.coverage.teardownsWithPageRequests, 'teardowns with requests pending').to.be.greaterThan(0);
  },
  viommu: (o, r) => {
    expect(n(o, 'viommu_bind', 'ok') + n(o, 'viommu_unbind', 'ok'), 'guest bind / unbind requests').to.be.greaterThan(5);
    expect(r.coverage.guestPageResponses, 'page requests the guests answered').to.be.greaterThan(0);
    expect(n(o, 'fault_respond', 'ok'), "the guests' FAULT_RESPONDs").to.be.at.least(r.coverage.guestPageResponses);
  },
  'close-while-busy': (o) => {
    expect(n(o, 'close_device', 'ok'), 'devices closed').to.be.greaterThan(0);
    expect(n(o, 'alloc', 'EBADF'), 'calls on a closed FD').to.be.greaterThan(0);
    expect(n(o, 'disallow', 'EBADF'), 'DISALLOW through a closed FD').to.be.greaterThan(0);
    expect(n(o, 'open', 'ok'), 'FDs reopened').to.be.greaterThan(2);
  },
  'teardown-storm': (o, r) => {
    expect(r.coverage.teardownCallsRaced, 'teardown calls racing on one IOASID').to.be.greaterThan(5);
    expect(n(o, 'destroy', 'ENOENT'), 'a DESTROY that lost its race (double DESTROY, DESTROY with close)').to.be.greaterThan(0);
    expect(n(o, 'alloc', 'ENOSPC'), 'ALLOC meeting the VM quota').to.be.greaterThan(0);
    expect(n(o, 'allow', 'ok'), 'each IOASID allowed on several devices').to.be.greaterThan(n(o, 'alloc', 'ok'));
    expect(n(o, 'close_device', 'ok'), 'device closes racing DISALLOW').to.be.greaterThan(0);
  },
};

describe('built-in scenarios', function () {
  this.timeout(60_000);

  for (const s of SCENARIOS) {
    it(`run ${s.name} --duration 2 exits 0 with a clean run on real threads`, async () => {
      const r = await cli(['run', s.name, '--duration', '2', '--json']);
      const report = oneJson<RunJson>(r);
      expect(r.code, `${r.stderr}${report.violations.map((v) => v.detail).join('\n')}`).to.equal(0);
      expect(report).to.include({ ok: true, scenario: s.name });
    });

    it(`run ${s.name} --mode deterministic --duration 0.03 exits 0 and exercises what its name says`, async () => {
      const r = await cli(['run', s.name, '--mode', 'deterministic', '--duration', '0.03', '--json']);
      const report = oneJson<RunJson>(r);
      expect(r.code, `${r.stderr}${report.violations.map((v) => v.detail).join('\n')}`).to.equal(0);
      expect(report).to.include({ ok: true, scenario: s.name });
      EXERCISES[s.name]?.(report.outcomes, report);
    });
  }

  it('isolation with --mutant no-fd-check reports an isolation violation', async () => {
    const r = await cli(['run', 'isolation', '--duration', '2', '--mutant', 'no-fd-check', '--json']);
    expect(r.code).to.equal(1);
    expect(oneJson<RunJson>(r).violationCounts.isolation).to.be.greaterThan(0);
  });
});
