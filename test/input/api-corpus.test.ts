// The bad-input corpus of the embedding API (cases in api-cases.ts): bad options throw an
// InputError (errno EINVAL) naming the field before anything starts; bad call arguments answer
// a typed Result at once. A machine written as the README allows (`vms: [{ name: 'vm1' }]`)
// gets the defaults.
import { expect } from 'chai';
import { InputError, type IoasidSim, createSimulation } from '../../index.js';
import type { ModeOptions } from '../../sim/mode.js';
import { value } from '../helpers.js';
import { CALL_CASES, type Handles, SPEC_CASES } from './api-cases.js';

const DET: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
/** A bad argument is refused before any message is sent: well before the 15 s a hardware wait would take. */
const CALL_MS = 10_000;

describe('bad-input corpus: the embedding API', function () {
  this.timeout(30_000);

  describe('createSimulation options', () => {
    for (const [name, options, message] of SPEC_CASES) {
      it(name, () => {
        let thrown: unknown = null;
        try {
          createSimulation(options as never);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).to.be.instanceOf(InputError);
        const e = thrown as InputError;
        expect(e.errno).to.equal('EINVAL');
        expect(e.message).to.match(/^createSimulation: /);
        expect(e.message).not.to.include('\n');
        expect(e.message).to.match(message);
      });
    }
  });

  it("fills the defaults of a machine written as { vms: [{ name: 'vm1' }] }", async () => {
    const sim = createSimulation({ machine: { vms: [{ name: 'vm1', devices: [{ name: 'dev1' }] }], workers: 1 }, mode: DET });
    const spec = sim.simulation.options.spec;
    expect(spec.vms[0]).to.deep.equal({
      name: 'vm1',
      vcpus: 1,
      pages: 256,
      quota: null,
      devices: [{ name: 'dev1', iommu: 0, pasid: true, ats: true, enqcmd: false, pri: false }],
    });
    const fd = value(await sim.open('vm1'));
    expect(value(await fd.alloc())).to.be.a('number');
    expect((await sim.shutdown()).ok).to.equal(true);
  });

  describe('handle calls', () => {
    let h: Handles;
    const sims: IoasidSim[] = [];
    before(async () => {
      const machine = { vms: [{ name: 'vm1', vcpus: 1, devices: [{ name: 'dev1', enqcmd: true }] }], workers: 1 };
      const [sim, other] = [createSimulation({ machine, mode: DET }), createSimulation({ machine, mode: DET })];
      sims.push(sim, other);
      const fd = value(await sim.open('vm1'));
      const pasid = value(await fd.alloc());
      value(await fd.bindPgtbl(pasid, 4));
      const dev = sim.device('dev1');
      value(await dev.allow(fd, pasid));
      h = {
        sim,
        fd,
        pasid,
        dev,
        kvm: sim.kvm('vm1'),
        vcpu: sim.vcpu('vm1.0'),
        viommu: sim.viommu('vm1'),
        other: { fd: value(await other.open('vm1')), dev: other.device('dev1') },
      };
    });
    after(async () => {
      for (const s of sims) expect((await s.shutdown()).ok).to.equal(true);
    });

    for (const [name, call, errno, message] of CALL_CASES) {
      it(name, async () => {
        const started = performance.now();
        const r = await call(h);
        expect(performance.now() - started).to.be.below(CALL_MS);
        expect(r.ok).to.equal(false);
        if (r.ok) return;
        expect(r.errno).to.equal(errno);
        expect(r.message).to.match(message);
      });
    }
  });
});
