// The guest vIOMMU as page-fault handler (docs/model.md#io-page-faults): with `guestFaults`, the
// page requests of the address spaces a vIOMMU binds are answered by that vIOMMU. The sequence
// shows it step by step; the viommu scenario, whose devices have PRI, races the guest's answers
// against its bind / unbind churn and stays clean in deterministic mode and on threads.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { SimEvent } from '../../actors/events.js';
import type { RunReport } from '../../report/report.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { viommu } from '../../scenarios/viommu.js';
import { loadSequenceFile } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import type { Simulation } from '../../sim/simulation.js';
import { WORK_TIMEOUT_MS, runUntil } from '../threads-runs.js';

const SEQUENCE = fileURLToPath(new URL('../../../sequences/viommu-iopf.yaml', import.meta.url));
const why = (r: RunReport) => `seed ${r.seed}: ${r.error ?? ''} ${JSON.stringify(r.violations.slice(0, 2))}`;

describe('kvm: the guest vIOMMU answers page requests', () => {
  it("sequences/viommu-iopf.yaml: every page request is the guest vIOMMU's to answer, and every access lands", async () => {
    const r = await runSequence(loadSequenceFile(SEQUENCE));
    expect(
      r.steps!.filter((s) => !s.met),
      'unmet steps',
    ).to.deep.equal([]);
    expect(r.violations).to.deep.equal([]);
    expect(r.coverage.pageRequests, 'page requests queued').to.be.greaterThan(0);
    expect(r.coverage.guestPageResponses, 'answered by the guest').to.equal(r.coverage.pageRequests);
    expect(r.outcomes.fault_respond, "the guest's FAULT_RESPONDs").to.deep.equal({ ok: r.coverage.pageRequests });
  });

  it('without guestFaults the vIOMMU binds a whole address space: no page request, no fault queue', async () => {
    const seq = loadSequenceFile(SEQUENCE);
    const machine = { ...seq.machine, vms: seq.machine.vms.map((v) => ({ ...v, guestFaults: false })) };
    const r = await runSequence({ ...seq, machine });
    expect(r.violations).to.deep.equal([]);
    expect(r.coverage.pageRequests).to.equal(0);
    expect(r.outcomes.fault_queue).to.equal(undefined);
  });

  it('run viommu in deterministic mode: clean over 4 seeds, the guests answering page requests, invalid where an unbind meets one', async function () {
    this.timeout(WORK_TIMEOUT_MS);
    let answered = 0;
    /** The guests' FAULT_RESPONDs by code (0 success, 1 invalid). */
    const codes = [0, 0];
    const attach = (sim: Simulation) =>
      sim.events$.subscribe((e: SimEvent) => {
        if (e.type === 'call' && e.op === 'fault_respond' && e.via === 'viommu') codes[e.args.code]! += 1;
      });
    for (const seed of [1, 2, 3, 4]) {
      const r = await runScenario(
        viommu,
        { ...DEFAULT_PARAMS, seed, durationSec: 0.03, mode: { mode: 'deterministic', strategy: 'random', pctDepth: 3 } },
        { attach },
      );
      expect(r.ok, why(r)).to.equal(true);
      answered += r.coverage.guestPageResponses;
    }
    expect(answered, 'page requests the guests answered').to.be.greaterThan(0);
    expect(codes[0], 'answered success').to.be.greaterThan(0);
    expect(codes[1], 'answered invalid: the device was being unbound').to.be.greaterThan(0);
  });

  it('run viommu on real threads stays clean, and the guests answer page requests', async function () {
    this.timeout(WORK_TIMEOUT_MS);
    const out = await runUntil(
      viommu,
      (i) => ({ ...DEFAULT_PARAMS, seed: i + 1, durationSec: 0.5 }),
      (runs) => runs.at(-1)!.report.verdict === 'failed' || (runs.length >= 2 && runs.some((r) => r.report.coverage.guestPageResponses > 0)),
    );
    const reports = out.runs.map((r) => r.report);
    for (const r of reports) expect(r.verdict, why(r)).to.not.equal('failed');
    expect(
      reports.reduce((n, r) => n + r.coverage.guestPageResponses, 0),
      'page requests the guests answered',
    ).to.be.greaterThan(0);
  });
});
