// Page-request groups of several pages (hardware/prq.ts): a slot per page, the last flagged
// last-in-group; taken, answered, overflowed, abandoned and drained whole. And the epochs a
// response carries: the device sees a response meant for the PASID's previous incarnation.
import { expect } from 'chai';
import { JOB_STRIDE, PRQ_DEPTH, PrqCode, createHardware } from '../../hardware/layout.js';
import { PasidTables } from '../../hardware/pasid-table.js';
import {
  prqAbandon,
  prqAnswerFor,
  prqCounts,
  prqDrain,
  prqPendingFor,
  prqRequest,
  prqRespond,
  prqRespondByPasid,
  prqSlotsOf,
  prqTake,
  prqUnanswered,
} from '../../hardware/prq.js';

const PASID = 5;
const machine = () => {
  const hw = createHardware({ pasidBits: 8, deviceVm: [0], vmPages: [16], engines: 1, pasidLeaves: 4, pgtables: 4, vcpuVm: [], devicePri: [true] });
  const tables = new PasidTables(hw);
  expect(tables.install(0, PASID, 0)).to.equal('ok');
  return { hw, tables };
};
/** Job `id`'s word base in the job table. */
const job = (id: number) => id * JOB_STRIDE;

describe('page-request groups of several pages', () => {
  it('a group takes a slot per page and is taken, answered and freed whole by its last slot', () => {
    const { hw } = machine();
    expect(prqRequest(hw, job(0), 0, PASID, 4, 3, true)).to.equal(true);
    expect(prqSlotsOf(hw, 0, PASID).map((s) => s.last)).to.deep.equal([false, false, true]);
    expect(prqCounts(hw)).to.deep.equal({ requests: 1, overflows: 0, multiPage: 1 });
    expect(prqUnanswered(hw), 'one group, by its last slot').to.have.length(1);
    const [g, ...more] = prqTake(hw);
    expect(more).to.deep.equal([]);
    expect(g).to.include({ device: 0, pasid: PASID, iova: 4, pages: 3, write: true });
    expect(prqAnswerFor(hw, job(0)), 'the device waits for the whole group').to.equal('stalled');
    expect(prqRespond(hw, g!, PrqCode.SUCCESS)).to.equal(true);
    expect(prqPendingFor(hw, 0, PASID), 'the answer freed the parts').to.equal(false);
    const a = prqAnswerFor(hw, job(0));
    expect(a).to.include({ code: PrqCode.SUCCESS });
    expect(prqRespond(hw, g!, PrqCode.SUCCESS), 'a second answer to the group is dropped').to.equal(false);
  });

  it('overflow: a group that finds too few free slots is answered by the unit and leaves no slot behind', () => {
    const { hw } = machine();
    for (let id = 0; id < PRQ_DEPTH - 1; id++) expect(prqRequest(hw, job(id), 0, PASID, id, 1, false)).to.equal(true);
    expect(prqRequest(hw, job(PRQ_DEPTH - 1), 0, PASID, 20, 2, false)).to.equal(false);
    expect(prqCounts(hw)).to.include({ overflows: 1, multiPage: 0 });
    expect(prqSlotsOf(hw, 0, PASID)).to.have.length(PRQ_DEPTH - 1);
    expect(prqAnswerFor(hw, job(PRQ_DEPTH - 1)), 'the device holds no slot: it retries').to.equal(null);
    expect(prqRequest(hw, job(PRQ_DEPTH - 1), 0, PASID, 20, 1, false), 'one page still fits').to.equal(true);
  });

  it('the drain answers every group, delivered to a handler or not, parts and all', () => {
    const { hw } = machine();
    prqRequest(hw, job(0), 0, PASID, 0, 2, false);
    const [taken] = prqTake(hw);
    prqRequest(hw, job(1), 0, PASID, 8, 3, false);
    expect(prqDrain(hw, 0, PASID)).to.equal(2);
    expect(prqPendingFor(hw, 0, PASID)).to.equal(false);
    expect(prqAnswerFor(hw, job(0))).to.include({ code: PrqCode.INVALID });
    expect(prqAnswerFor(hw, job(1))).to.include({ code: PrqCode.INVALID });
    expect(prqRespond(hw, taken!, PrqCode.SUCCESS), "the handler's late answer is dropped").to.equal(false);
    // A group its device gave up on while the handler held it is gone whole: nothing left to drain.
    prqRequest(hw, job(2), 0, PASID, 0, 3, false);
    prqTake(hw);
    prqAbandon(hw, job(2));
    expect(prqPendingFor(hw, 0, PASID)).to.equal(false);
    expect(prqDrain(hw, 0, PASID)).to.equal(0);
  });

  it('a job that gives up frees its whole group; the handler discards it unanswered', () => {
    const { hw } = machine();
    prqRequest(hw, job(0), 0, PASID, 0, 3, false);
    prqAbandon(hw, job(0));
    expect(prqTake(hw)).to.deep.equal([]);
    expect(prqPendingFor(hw, 0, PASID)).to.equal(false);
    for (let id = 0; id < PRQ_DEPTH; id++) expect(prqRequest(hw, job(id), 0, PASID, id, 1, false), `slot ${id} is free again`).to.equal(true);
  });

  it("a response carries its group's entry epoch: one delivered by PASID number to the next incarnation's request shows it", () => {
    const { hw, tables } = machine();
    prqRequest(hw, job(0), 0, PASID, 1, 1, false);
    const [old] = prqTake(hw);
    // Teardown: clear, drain (the old group answered), zero; then the PASID's next install.
    tables.clearPresent(0, PASID);
    prqDrain(hw, 0, PASID);
    tables.zero(0, PASID);
    expect(prqAnswerFor(hw, job(0))).to.include({ code: PrqCode.INVALID });
    expect(tables.install(0, PASID, 1)).to.equal('ok');
    prqRequest(hw, job(1), 0, PASID, 1, 1, false);
    expect(prqRespond(hw, old!, PrqCode.SUCCESS), 'the correct path drops the late answer').to.equal(false);
    expect(prqRespondByPasid(hw, old!, PASID, PrqCode.SUCCESS), 'the buggy lookup by PASID delivers it').to.equal(true);
    const a = prqAnswerFor(hw, job(1));
    expect(a).to.not.equal(null);
    expect(a).to.not.equal('stalled');
    if (a && a !== 'stalled') expect(a.meantFor, 'meant for the previous install').to.be.lessThan(a.epoch);
  });
});
