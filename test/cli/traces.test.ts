// Names as users read them: VMs, devices and vCPUs by the names the user gave, in the summary,
// the trace and the diagram alike.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli-process.js';

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; args?: Record<string, unknown> }
interface Trace { traceEvents: TraceEvent[] }

const loadTrace = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Trace;
const trackNames = (t: Trace) => t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name as string);
/** The arguments of every call slice. */
const callArgs = (t: Trace) => t.traceEvents.filter((e) => e.ph === 'X' && e.args?.args).map((e) => e.args!.args as Record<string, unknown>);
const participants = (diagram: string) => [...diagram.matchAll(/^\s+participant \S+ as (.+)$/gm)].map((m) => m[1]!);
/** How outputs named things before they used the user's names: actor names and indices. */
const NOT_USER_NAMES = /device-\d|kvm-\d|viommu-\d|vcpu-|device \d|VM \d|dev:\d|kvm:\d/;

describe('CLI traces: the user\'s names', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-traces-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the summary, the trace and the diagram name the VM, device and vCPU as the sequence file does', async () => {
    const trace = join(dir, 'kvm.json'), diagram = join(dir, 'kvm.mmd');
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
