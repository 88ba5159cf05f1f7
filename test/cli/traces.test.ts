// Traces and names as users read them: trace times in microseconds on the run's clock (virtual in
// deterministic mode, so one seed writes one file), and VMs, devices and vCPUs by the names the
// user gave, in the summary, the trace and the diagram alike.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, oneJson } from './cli-process.js';

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  args?: Record<string, unknown>;
}
interface Trace {
  traceEvents: TraceEvent[];
}

const loadTrace = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Trace;
const trackNames = (t: Trace) => t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name as string);
/** The arguments of every call slice. */
const callArgs = (t: Trace) => t.traceEvents.filter((e) => e.ph === 'X' && e.args?.args).map((e) => e.args!.args as Record<string, unknown>);
const participants = (diagram: string) => [...diagram.matchAll(/^\s+participant \S+ as (.+)$/gm)].map((m) => m[1]!);
/** How outputs named things before they used the user's names: actor names and indices. */
const NOT_USER_NAMES = /device-\d|kvm-\d|viommu-\d|vcpu-|device \d|VM \d|dev:\d|kvm:\d/;

describe("CLI traces: microseconds, virtual time, the user's names", function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-traces-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trace ts and dur are microseconds: a 0.5 s run spans at least 450 000 µs and no more than it took', async () => {
    const file = join(dir, 'race.json');
    const r = await cli(['run', 'teardown-race', '--duration', '0.5', '--trace', file, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const { durationMs } = oneJson<{ durationMs: number }>(r);
    const trace = loadTrace(file);
    const timed = trace.traceEvents.filter((e) => e.ph !== 'M');
    const start = timed.reduce((a, e) => Math.min(a, e.ts), Infinity);
    const end = timed.reduce((a, e) => Math.max(a, e.ts + (e.dur ?? 0)), -Infinity);
    // The workload calls until 0.5 s have passed, and everything traced happened within the run.
    expect(end - start)
      .to.be.at.least(450_000)
      .and.at.most((durationMs + 1) * 1000);
    // A scenario's devices go by the scenario's names, as tracks and as call arguments.
    expect(trackNames(trace)).to.include.members(['vm1-dev1', 'vm2-dev2']);
    const devices = callArgs(trace)
      .filter((a) => 'device' in a)
      .map((a) => a.device);
    expect(devices).to.not.be.empty;
    for (const d of devices) expect(d).to.be.oneOf(['vm1-dev1', 'vm1-dev2', 'vm2-dev1', 'vm2-dev2']);
  });

  it('deterministic mode writes the same trace and diagram for one seed, byte for byte', async () => {
    const run = async (n: number) => {
      const trace = join(dir, `det${n}.json`),
        diagram = join(dir, `det${n}.mmd`);
      const r = await cli(['seq', 'sequences/close-while-busy.yaml', '--mode', 'deterministic', '--trace', trace, '--diagram', diagram]);
      expect(r.code, r.stderr).to.equal(0);
      return { trace: readFileSync(trace), diagram: readFileSync(diagram) };
    };
    const [a, b] = [await run(1), await run(2)];
    expect(loadTrace(join(dir, 'det1.json')).traceEvents.filter((e) => e.ph === 'X')).to.have.length.greaterThan(30);
    expect(a.trace.equals(b.trace), 'the two traces differ').to.equal(true);
    expect(a.diagram.equals(b.diagram), 'the two diagrams differ').to.equal(true);
  });

  it('the summary, the trace and the diagram name the VM, device and vCPU as the sequence file does', async () => {
    const trace = join(dir, 'kvm.json'),
      diagram = join(dir, 'kvm.mmd');
    const r = await cli(['seq', 'sequences/kvm-enqcmd.yaml', '--mutant', 'kvm-no-kref', '--trace', trace, '--diagram', diagram]);
    expect(r.code, r.stderr).to.equal(1);
    // The violations name the VM (the file's vm1), never VM 0 or a holder like kvm:0:6.
    const violations = r.stdout.split('\n').filter((l) => l.startsWith('  - '));
    expect(violations).to.not.be.empty;
    expect(violations.join('\n')).to.include('vm1').and.not.match(NOT_USER_NAMES);
    const t = loadTrace(trace);
    expect(trackNames(t)).to.include.members(['dsa1', 'kvm.vm1', 'vm1.0', 'fd3']);
    const args = callArgs(t);
    const named = (k: string) => args.filter((a) => k in a).map((a) => a[k]);
    expect(new Set(named('vm'))).to.deep.equal(new Set(['vm1']));
    expect(new Set(named('device'))).to.deep.equal(new Set(['dsa1']));
    expect(new Set(named('vcpu'))).to.deep.equal(new Set(['vm1.0']));
    const text = readFileSync(diagram, 'utf8');
    expect(participants(text)).to.include.members(['dsa1', 'kvm.vm1', 'vm1.0', 'fd3']);
    expect(text).to.not.match(NOT_USER_NAMES);
  });
});
