// The CLI's verdicts say what was checked: a run shows what it raced (`coverage`, in the JSON and
// the summary), exits 0 only when it raced what it exists to race, and 3 (INCONCLUSIVE) when
// nothing violated but that never happened.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, oneJson } from './cli-process.js';

interface Coverage {
  teardowns: number;
  teardownsWithDmaInFlight: number;
  landed: number;
}
interface RunJson {
  ok: boolean;
  verdict: string;
  coverage: Coverage;
  races: string[];
  inconclusive?: string[];
  violations: unknown[];
}

describe('CLI coverage and INCONCLUSIVE', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-coverage-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run churn --duration 0.3 either shows racing teardowns (exit 0) or says it raced none (exit 3)', async () => {
    const r = await cli(['run', 'churn', '--duration', '0.3', '--json']);
    const report = oneJson<RunJson>(r);
    expect(report.violations).to.deep.equal([]);
    expect(report.races).to.deep.equal(['teardownsWithDmaInFlight', 'landed']);
    const raced = report.coverage.teardownsWithDmaInFlight > 0 && report.coverage.landed > 0;
    if (raced) {
      expect(r.code, r.stderr).to.equal(0);
      expect(report).to.include({ verdict: 'clean', ok: true });
    } else {
      expect(r.code, r.stderr).to.equal(3);
      expect(report).to.include({ verdict: 'inconclusive', ok: false });
      expect(report.inconclusive).to.be.an('array').that.is.not.empty;
    }
  });

  it('the summary shows the same coverage as the JSON report (deterministic, one seed)', async () => {
    const args = ['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.02', '--seed', '4'];
    const json = oneJson<RunJson>(await cli([...args, '--json']));
    const text = await cli(args);
    expect(text.code, text.stderr).to.equal(0);
    const c = json.coverage;
    expect(c.teardownsWithDmaInFlight).to.be.greaterThan(0);
    expect(text.stdout).to.match(new RegExp(`PASID-entry teardowns begun\\s+${c.teardowns}\\b`));
    expect(text.stdout).to.match(new RegExp(`with DMA in flight\\s+${c.teardownsWithDmaInFlight}\\s+raced`));
    expect(text.stdout).to.match(new RegExp(`accesses landed\\s+${c.landed}\\s+raced`));
    expect(text.stdout).to.include('result: CLEAN');
  });

  it('a sequence whose background job never landed its min_landed exits 3, naming the step', async () => {
    const file = join(dir, 'never-landed.yaml');
    writeFileSync(
      file,
      `name: never landed
steps:
  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1 }
  - { op: bind_pgtbl, fd: fd1, ioasid: a1 }
  - { op: dma_start, device: dev1, ioasid: a1, min_landed: 1, as: j1 }   # never allowed: it only faults
  - { op: stop, job: j1 }
`,
    );
    const r = await cli(['seq', file]);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.include('step 4 stop: INCONCLUSIVE, job j1 landed 0 of the 1 accesses');
    expect(r.stdout).to.include('result: INCONCLUSIVE').and.include('(exit 3)');
  });
});
