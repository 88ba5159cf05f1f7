// The stale-pasid-cache witness (docs/invariants.md#stale-pasid-cache): every change of a PASID
// entry bumps its version; once a call that changed it returns (with no other call on that PASID
// in progress) the auditor seals the version; a PASID-cache hit on an older copy is reported.
import { expect } from 'chai';
import type { CallEvent, ReplyEvent } from '../../actors/events.js';
import type { OpName } from '../../actors/protocol.js';
import { type Result, err, ok } from '../../actors/result.js';
import { expectCaught, expectClean } from '../../explore/regression.js';
import { createHardware } from '../../hardware/layout.js';
import { PasidTables, pasidEntryVersion, pasidSlot } from '../../hardware/pasid-table.js';
import { stalePasidEntry } from '../../hardware/witness.js';
import { PasidEntryAuditor } from '../../invariants/pasid-entries.js';
import { STRATEGIES } from '../../sim/strategies/index.js';

function rig() {
  const hw = createHardware({ pasidBits: 8, deviceVm: [0, 0], vmPages: [16], engines: 1, pasidLeaves: 4, pgtables: 4, vcpuVm: [] });
  const tables = new PasidTables(hw);
  const auditor = new PasidEntryAuditor(hw);
  let id = 0;
  const call = (op: OpName, args: Record<string, unknown>) => {
    const i = ++id;
    auditor.called({ type: 'call', id: i, op, args, t: 0 } as CallEvent);
    return i;
  };
  const reply = (i: number, op: OpName, args: Record<string, unknown>, result: Result<unknown> = ok(null)) =>
    auditor.answered({ type: 'reply', id: i, op, args, result, t: 0 } as ReplyEvent);
  /** The floor the auditor holds for (device, pasid): a copy at a version below it is stale. */
  const staleAt = (device: number, pasid: number, version: number) => stalePasidEntry(hw, pasidSlot(hw, device, pasid), version);
  return { hw, tables, call, reply, staleAt };
}

describe('stale-pasid-cache witness', () => {
  it('every change of an entry bumps its version, and zeroing keeps it', () => {
    const { hw, tables } = rig();
    expect(tables.install(0, 5, null)).to.equal('ok');
    const slot = pasidSlot(hw, 0, 5);
    expect(pasidEntryVersion(hw, slot)).to.equal(1);
    tables.setPgtable(0, 5, 2);
    expect(pasidEntryVersion(hw, slot)).to.equal(2);
    tables.clearPresent(0, 5);
    tables.zero(0, 5);
    expect(pasidEntryVersion(hw, slot)).to.equal(3);
    expect(tables.install(0, 5, 1)).to.equal('ok');
    expect(pasidEntryVersion(hw, slot), 'a reinstalled entry is newer than any copy of the old one').to.equal(4);
  });

  it('seals the version when a MAP returns, so an older cached copy is stale and the current one is not', () => {
    const { tables, call, reply, staleAt } = rig();
    tables.install(0, 5, null);
    tables.install(1, 5, null);
    const args = { fd: 3, ioasid: 5, iova: 0, pages: 2 };
    const i = call('map', args);
    tables.setPgtable(0, 5, 0);
    tables.setPgtable(1, 5, 0);
    expect(staleAt(0, 5, 1), 'not sealed while the call is in progress').to.equal(0);
    reply(i, 'map', args);
    expect(staleAt(0, 5, 1)).to.equal(2);
    expect(staleAt(1, 5, 1), 'every device with an entry').to.equal(2);
    expect(staleAt(0, 5, 2)).to.equal(0);
  });

  it('does not seal while another call that may change the same entries is in progress, nor after a failed call', () => {
    const { tables, call, reply, staleAt } = rig();
    tables.install(0, 5, null);
    const map = { fd: 3, ioasid: 5, iova: 0, pages: 2 };
    const disallow = { device: 0, fd: 3, ioasid: 5 };
    const d = call('disallow', disallow);
    const m = call('map', map);
    tables.setPgtable(0, 5, 0);
    reply(m, 'map', map);
    expect(staleAt(0, 5, 1), "the DISALLOW's invalidation may still be on its way").to.equal(0);
    const close = { fd: 4 };
    const c = call('close', close);
    reply(d, 'disallow', disallow, err('EIO', 'invalidation did not complete (injected)'));
    expect(staleAt(0, 5, 1), 'a failed call seals nothing').to.equal(0);
    const m2 = call('map', map);
    reply(m2, 'map', map);
    expect(staleAt(0, 5, 1), 'a close in progress may change any entry').to.equal(0);
    reply(c, 'close', close);
    const m3 = call('map', map);
    reply(m3, 'map', map);
    expect(staleAt(0, 5, 1)).to.equal(2);
  });
});

describe('skip-pasid-cache-flush is caught as stale-pasid-cache, and the correct model stays clean', function () {
  this.timeout(120000);
  for (const strategy of STRATEGIES) {
    it(`unmap-race, deterministic (${strategy}): within 5 executions`, async () => {
      const c = await expectCaught('skip-pasid-cache-flush', {
        scenario: 'unmap-race',
        invariants: ['stale-pasid-cache'],
        seeds: [1, 2, 3, 4, 5],
        mode: { mode: 'deterministic', strategy, pctDepth: 3 },
        params: { durationSec: 0.03 },
      });
      expect(c.invariants).to.include('stale-pasid-cache');
    });
  }

  it('unmap-race on threads: within two 1.5 s runs', async () => {
    const c = await expectCaught('skip-pasid-cache-flush', {
      scenario: 'unmap-race',
      invariants: ['stale-pasid-cache'],
      seeds: [1, 2, 1, 2],
      mode: { mode: 'threads' },
      params: { durationSec: 1.5 },
    });
    expect(c.invariants).to.include('stale-pasid-cache');
  });

  for (const scenario of ['unmap-race', 'teardown-storm', 'viommu']) {
    it(`${scenario} without the mutant: clean (deterministic, 2 seeds)`, async () => {
      await expectClean(scenario, { seeds: [1, 2], mode: { mode: 'deterministic', strategy: 'random', pctDepth: 3 }, params: { durationSec: 0.05 } });
    });
  }
});
