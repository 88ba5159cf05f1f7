// The reports users script against: `--json` (exactly one document, the contract's fields),
// `--trace` (Chrome trace-event JSON), `--diagram` (Mermaid sequenceDiagram), the summary, and
// silence on stderr when it is not a terminal.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, oneJson } from './cli-process.js';

const COUNT_KEYS = ['dma', 'dmaFaults', 'enqcmd', 'gp', 'calls', 'messages'];

function expectContractFields(r: Record<string, unknown>, kind: string): void {
  expect(r).to.include({ tool: 'ioasid-sim', kind });
  expect(r.version).to.match(/^\d+\.\d+\.\d+/);
  expect(r.scenario).to.be.a('string');
  expect(r.seed).to.be.a('number');
  expect(r).to.have.property('mutant');
  expect(r.ok).to.be.a('boolean');
  expect(r.durationMs).to.be.a('number');
  expect(r.workers).to.be.a('number');
  expect(r.counts).to.include.all.keys(...COUNT_KEYS);
  for (const k of COUNT_KEYS) expect((r.counts as Record<string, unknown>)[k], k).to.be.a('number');
  expect(r.violations).to.be.an('array');
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: Record<string, unknown>;
}

describe('CLI reports', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-reports-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('seq --json prints exactly one document with the contract fields and nothing on stderr', async () => {
    const r = await cli(['seq', 'sequences/agreed-order.yaml', '--json', '--seed', '7']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    const report = oneJson(r);
    expectContractFields(report, 'seq');
    expect(report).to.include({ seed: 7, mutant: null, ok: true });
    const steps = report.steps as Record<string, unknown>[];
    expect(steps).to.have.length.greaterThan(5);
    steps.forEach((s, i) => {
      expect(s).to.include.all.keys('index', 'op', 'result', 'value', 'expect', 'met');
      expect(s.index).to.equal(i);
    });
    expect(steps.find((s) => s.op === 'dma' && s.expect === 'fault')).to.include({ result: 'fault', met: true });
  });

  it('run --json reports a run (no steps), with its mutant, and exits 1 on a violation', async () => {
    const r = await cli(['run', 'isolation', '--duration', '1', '--mutant', 'no-fd-check', '--json', '--seed', '3']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.equal('');
    const report = oneJson(r);
    expectContractFields(report, 'run');
    expect(report).to.include({ scenario: 'isolation', seed: 3, mutant: 'no-fd-check', ok: false });
    expect(report).not.to.have.property('steps');
    const v = (report.violations as { invariant: string; detail: string; step: unknown }[])[0]!;
    expect(v).to.include.all.keys('invariant', 'detail', 'step');
    expect((report.violationCounts as Record<string, number>).isolation).to.be.greaterThan(0);
  });

  it('the summary names the run, its counts with rates, and each broken invariant with its meaning', async () => {
    const r = await cli(['seq', 'sequences/backwards-proposal.yaml', '--mutant', 'backwards-order']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('seq sequences/backwards-proposal.yaml').and.include('mutant backwards-order');
    expect(r.stdout).to.match(/DMA accesses\s+\d+\s+\S+\/s/);
    expect(r.stdout).to.include('pasid-reuse').and.include('a PASID is never handed out while');
    expect(r.stdout).to.match(/pasid_state\s+ok\s+free\s+value parked\s+UNMET/);
    expect(r.stdout).to.include('result: FAILED');
  });

  it('--trace writes trace-event JSON with actor and engine tracks and calls as slices', async () => {
    const trace = join(dir, 'agreed.trace.json');
    const r = await cli(['seq', 'sequences/agreed-order.yaml', '--trace', trace]);
    expect(r.code, r.stderr).to.equal(0);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: TraceEvent[] };
    expect(doc.traceEvents).to.be.an('array').that.is.not.empty;
    for (const e of doc.traceEvents) {
      expect(e.ph, JSON.stringify(e)).to.be.oneOf(['X', 'i', 'C', 'M']);
      for (const k of ['pid', 'tid', 'ts'] as const) expect(e[k], `${k} of ${JSON.stringify(e)}`).to.be.a('number');
      if (e.ph === 'X') expect(e.dur).to.be.a('number').that.is.at.least(0);
    }
    const threads = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(threads).to.include.members(['fd3', 'pasid-allocator', 'dev1', 'iommu0', 'engine 0', 'engine 1', 'sequence steps']);
    const slices = doc.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name);
    expect(slices).to.include.members(['open', 'alloc', 'bind_pgtbl', 'allow', 'disallow', 'destroy', 'close']);
    // Slices on one caller lane never overlap, so every viewer nests them correctly.
    const lanes = new Map<string, TraceEvent[]>();
    for (const e of doc.traceEvents.filter((x) => x.ph === 'X' && x.pid === 1)) lanes.set(`${e.tid}`, [...(lanes.get(`${e.tid}`) ?? []), e]);
    for (const list of lanes.values())
      list
        .sort((a, b) => a.ts - b.ts)
        .forEach((e, i) => {
          if (i > 0) expect(e.ts).to.be.at.least(list[i - 1]!.ts + list[i - 1]!.dur! - 0.001);
        });
    expect(doc.traceEvents.some((e) => e.ph === 'i' && e.args?.from === 'uapi')).to.equal(true);
  });

  it('--diagram writes a Mermaid sequenceDiagram naming the actors', async () => {
    const diagram = join(dir, 'agreed.mmd');
    const r = await cli(['seq', 'sequences/agreed-order.yaml', '--diagram', diagram]);
    expect(r.code, r.stderr).to.equal(0);
    const text = readFileSync(diagram, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).to.equal('sequenceDiagram');
    const participants = lines.filter((l) => /^\s+participant \S+ as /.test(l)).map((l) => l.replace(/^\s+participant \S+ as /, ''));
    expect(participants).to.include.members(['uapi', 'fd3', 'pasid-allocator', 'dev1', 'iommu0']);
    expect(text).to.match(/^\s+A\d+->>A\d+: allow$/m);
    expect(text).to.match(/^\s+A\d+-->>A\d+: ok$/m);
    expect(text).to.include('Note over A1: step 7 disallow -> ok');
  });

  it("a long run's diagram is cut and says so; trace and diagram together", async () => {
    const trace = join(dir, 'race.trace.json'),
      diagram = join(dir, 'race.mmd');
    const r = await cli(['run', 'teardown-race', '--duration', '1', '--trace', trace, '--diagram', diagram]);
    expect(r.code, r.stderr).to.equal(0);
    const text = readFileSync(diagram, 'utf8');
    expect(text.split('\n').filter((l) => /->>/.test(l))).to.have.length(400);
    expect(text).to.match(/diagram cut: the first 400 of \d+ messages are shown/);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: TraceEvent[] };
    expect(doc.traceEvents.filter((e) => e.ph === 'C' && e.name === 'engine 0')).to.not.be.empty;
  });

  it('run --help lists every flag of the contract', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).to.equal(0);
    for (const f of [
      '--seed',
      '--duration',
      '--vms',
      '--devices',
      '--pasids',
      '--workers',
      '--mutant',
      '--json',
      '--trace',
      '--diagram',
      '--mode',
      '--strategy',
      '--pct-depth',
    ])
      expect(r.stdout).to.include(f);
  });
});
