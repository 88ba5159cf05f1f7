// `ioasid-sim compare FILE`: one sequence file under both uAPI designs, side by side.
import { expect } from 'chai';
import { cli, oneJson } from './cli-process.js';

interface Cell {
  readonly result: string;
  readonly value: unknown;
  readonly met: boolean;
}
interface CompareJson {
  readonly kind: string;
  readonly ok: boolean;
  readonly steps: readonly { readonly index: number; readonly op: string; readonly ioasid: Cell; readonly iommufd: Cell; readonly differ: boolean }[];
  readonly differences: readonly number[];
}

describe('compare: a sequence file under both designs', function () {
  this.timeout(120000);

  it('backwards-proposal.yaml: DESTROY parks under ioasid and is EBUSY under iommufd; only its consequences differ', async () => {
    const r = await cli(['compare', 'sequences/backwards-proposal.yaml', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = oneJson<CompareJson>(r);
    expect(report.kind).to.equal('compare');
    expect(report.ok).to.equal(true);
    const destroy = report.steps.find((s) => s.op === 'destroy')!;
    expect([destroy.ioasid.result, destroy.iommufd.result]).to.deep.equal(['ok', 'EBUSY']);
    const stateSteps = report.steps.filter((s) => s.op === 'pasid_state');
    const states = stateSteps.map((s) => [s.ioasid.value, s.iommufd.value]);
    expect(states).to.deep.equal([
      ['parked', 'in-use'],
      ['free', 'in-use'],
    ]);
    // The DESTROY, the two states it leaves, and the DMA it halted (or not): nothing else.
    expect(report.differences).to.deep.equal([destroy.index, destroy.index + 1, destroy.index + 2, stateSteps[1]!.index]);
    expect(report.steps.every((s) => s.ioasid.met && s.iommufd.met)).to.equal(true);
  });

  it('prints the step table with the differing steps marked', async () => {
    const r = await cli(['compare', 'sequences/backwards-proposal.yaml']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/destroy\s+ok\s+EBUSY\s+DIFFER/);
    expect(r.stdout).to.include('the designs differ at 4 step(s)');
  });

  it('in-flight.yaml: a call sent nowait is compared at its own index, its wait on the row of the wait', async () => {
    const r = await cli(['compare', 'sequences/in-flight.yaml', '--json']);
    const report = oneJson<CompareJson>(r);
    expect(report.steps.map((s) => s.index)).to.deep.equal(report.steps.map((_, i) => i));
    const [disallow, destroy, wait] = ['disallow', 'destroy', 'wait'].map((op) => report.steps.find((s) => s.op === op)!);
    expect([disallow!.index, destroy!.index, wait!.index]).to.deep.equal([5, 6, 7]);
    // The DISALLOW in flight answers under both designs, and its wait shows that answer; whether
    // the DESTROY sent meanwhile found the device's kref still held (iommufd: EBUSY) is timing.
    expect([disallow!.ioasid.result, disallow!.iommufd.result]).to.deep.equal(['ok', 'ok']);
    expect([wait!.ioasid.result, wait!.iommufd.result, wait!.differ]).to.deep.equal(['ok', 'ok', false]);
    expect(destroy!.ioasid.result).to.equal('ok');
  });
});
