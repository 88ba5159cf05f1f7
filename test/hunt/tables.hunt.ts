// The hunt at the hardware tables' own edges, driven through hardware/'s public functions on a
// machine built in the test: what no sequence file reaches because the actors never do it (an
// entry in leaf slot 0, a ring that laps, PASID 0 as an invalidation target, 64 IOMMU units), what
// deterministic mode leaves no window for (an invalidation wait, a full queue, a vCPU caught
// mid-submission), and the IO page tables' errors as callers see them. Every check is an
// observable result: what a walk, a translation, a counter or a call answers, which cache entries
// an invalidation dropped, and when a call must wait.
import { expect } from 'chai';
import { invalidationsPending, postInvalidation, resetEngineTlb, serviceInvalidations, waitInvalidation } from '../../hardware/invalidation.js';
import { kvmInvalidate, kvmPublish, kvmQuiesce, kvmTranslate, kvmZero, vcpuCounters, writeMsr } from '../../hardware/kvm.js';
import {
  createHardware,
  ENG,
  engineWord,
  type Hardware,
  INV_QUEUE,
  IOTLB_ENTRIES,
  InvKind,
  MSR_PASID_VALID,
  PASID_CACHE_ENTRIES,
  PC,
  PC_STRIDE,
  PT,
  PT_STRIDE,
  TLB,
  TLB_STRIDE,
  VC,
  VC_STRIDE,
} from '../../hardware/layout.js';
import { PagePool } from '../../hardware/memory.js';
import { entryEpoch, PasidTables, pasidEntryVersion, pasidSlot, walkPasid } from '../../hardware/pasid-table.js';
import { checkIovaRange, isPgtableError, PgtablePool } from '../../hardware/pgtable.js';
import type { Waiter } from '../../hardware/wait.js';

/** Two VMs with a device each, two engines, two IOMMU units, 256 PASIDs (4 leaves a device), a pool of two leaves. */
const machine = (units = 2): Hardware =>
  createHardware({ pasidBits: 8, deviceVm: [0, 1], vmPages: [4, 4], engines: 2, pasidLeaves: 2, pgtables: 2, vcpuVm: [0, 0, 1], units });

/** A waiter for a call that must not wait: it fails naming what the call would have waited for. */
const mustNotWait: Waiter = {
  until: async (done, _arr, _index, what) => {
    if (!done()) throw new Error(`waited for ${what}`);
  },
};

const running = (hw: Hardware, engine: number, on: boolean) => Atomics.store(hw.ctrl, engineWord(engine, ENG.RUNNING), on ? 1 : 0);

describe('hunt: the hardware tables at their edges (hardware functions)', () => {
  describe('PASID tables', () => {
    it('install, repoint, clear and zero an entry in leaf slot 0, and nothing else', () => {
      const hw = machine();
      const t = new PasidTables(hw);
      // PASID 64 first: device 0's directory entry 1 takes leaf 0, so this entry is slot 0.
      expect(t.install(0, 64, 3)).to.equal('ok');
      expect(pasidSlot(hw, 0, 64)).to.equal(0);
      expect(walkPasid(hw, 0, 64)).to.equal(3);
      expect(entryEpoch(hw, 0, 64)).to.equal(1);
      expect(pasidEntryVersion(hw, 0)).to.equal(1);
      expect(t.install(0, 64, 1)).to.equal('EBUSY');
      expect(walkPasid(hw, 0, 64)).to.equal(3);

      // Changes to entries whose leaf was never allocated touch nothing and allocate nothing.
      t.setPgtable(1, 200, 1);
      t.clearPresent(1, 201);
      t.zero(1, 202);
      expect([walkPasid(hw, 0, 64), entryEpoch(hw, 0, 64), pasidEntryVersion(hw, 0)]).to.deep.equal([3, 1, 1]);
      expect(pasidSlot(hw, 1, 200)).to.equal(-1);
      expect(walkPasid(hw, 1, 200)).to.equal(-2);

      t.setPgtable(0, 64, 0);
      expect([walkPasid(hw, 0, 64), pasidEntryVersion(hw, 0)]).to.deep.equal([0, 2]);
      t.setPgtable(0, 64, null);
      expect([walkPasid(hw, 0, 64), pasidEntryVersion(hw, 0)]).to.deep.equal([-1, 3]);
      t.zero(0, 64); // present: zero leaves it alone
      expect([walkPasid(hw, 0, 64), entryEpoch(hw, 0, 64)]).to.deep.equal([-1, 1]);
      t.clearPresent(0, 64);
      expect([walkPasid(hw, 0, 64), entryEpoch(hw, 0, 64), pasidEntryVersion(hw, 0)]).to.deep.equal([-2, 1, 4]);
      t.zero(0, 64);
      expect([walkPasid(hw, 0, 64), entryEpoch(hw, 0, 64), pasidEntryVersion(hw, 0)]).to.deep.equal([-2, 0, 4]);

      // The pool's second leaf is still free for device 1; then the pool is empty.
      expect(t.install(1, 65, null)).to.equal('ok');
      expect([walkPasid(hw, 1, 65), entryEpoch(hw, 1, 65), pasidSlot(hw, 1, 65)]).to.deep.equal([-1, 2, 64 + 1]);
      expect(t.install(1, 130, 0)).to.equal('ENOMEM');
      expect(t.install(0, 65, 1)).to.equal('ok'); // leaf 0 again: device 0's PASIDs 64..127
      expect([walkPasid(hw, 0, 65), walkPasid(hw, 1, 65)]).to.deep.equal([1, -1]);
    });

    it('PASID 0 and PASIDs past the table never walk, even beside installed entries', () => {
      const hw = machine();
      const t = new PasidTables(hw);
      expect(t.install(0, 1, 0)).to.equal('ok'); // device 0's leaf for PASIDs 0..63
      expect(t.install(1, 1, 1)).to.equal('ok'); // device 1's, the word after device 0's directory
      for (const [device, pasid] of [
        [0, 0],
        [0, 256],
        [1, 0],
      ] as const) {
        expect(pasidSlot(hw, device, pasid), `slot of ${device}/${pasid}`).to.equal(-1);
        expect(walkPasid(hw, device, pasid), `walk of ${device}/${pasid}`).to.equal(-2);
        expect(entryEpoch(hw, device, pasid), `epoch of ${device}/${pasid}`).to.equal(0);
      }
      expect([walkPasid(hw, 0, 1), walkPasid(hw, 1, 1)]).to.deep.equal([0, 1]);
    });
  });

  describe('the invalidation queue', () => {
    /** Put a translation of (device, pasid, iova) in slot `i` of `engine`'s IOTLB, device TLB and PASID cache. */
    function cache(hw: Hardware, engine: number, i: number, device: number, pasid: number, iova = 0): void {
      for (const tlb of [hw.iotlb, hw.devtlb]) {
        const e = (engine * IOTLB_ENTRIES + i) * TLB_STRIDE;
        tlb[e + TLB.DEV] = device + 1;
        tlb[e + TLB.PASID] = pasid;
        tlb[e + TLB.IOVA] = iova;
      }
      if (i >= PASID_CACHE_ENTRIES) return;
      const c = (engine * PASID_CACHE_ENTRIES + i) * PC_STRIDE;
      hw.pasidCache[c + PC.DEV] = device + 1;
      hw.pasidCache[c + PC.PASID] = pasid;
    }
    const inIotlb = (hw: Hardware, engine: number, i: number) => hw.iotlb[(engine * IOTLB_ENTRIES + i) * TLB_STRIDE + TLB.DEV] !== 0;
    const inDevtlb = (hw: Hardware, engine: number, i: number) => hw.devtlb[(engine * IOTLB_ENTRIES + i) * TLB_STRIDE + TLB.DEV] !== 0;
    const inPasidCache = (hw: Hardware, engine: number, i: number) => hw.pasidCache[(engine * PASID_CACHE_ENTRIES + i) * PC_STRIDE + PC.DEV] !== 0;

    it('an IOTLB range drops exactly its pages of its (device, PASID), on the servicing engine only', async () => {
      const hw = machine();
      // Slots 0..3 around the range [10, 12) of device 0, PASID 1; 4, 5 another PASID and device; engine 1 slot 0 too.
      for (const [i, iova] of [9, 10, 11, 12].entries()) cache(hw, 0, i, 0, 1, iova);
      cache(hw, 0, 4, 0, 2, 10);
      cache(hw, 0, 5, 1, 1, 10);
      cache(hw, 1, 0, 0, 1, 10);
      expect(await postInvalidation(hw, mustNotWait, 1, { kind: InvKind.IOTLB, device: 0, pasid: 1, iova: 10, npages: 2 })).to.equal(1);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([true, true]);
      serviceInvalidations(hw, 0);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([false, true]);
      expect([0, 1, 2, 3, 4, 5].map((i) => inIotlb(hw, 0, i))).to.deep.equal([true, false, false, true, true, true]);
      expect([0, 1, 2, 3].map((i) => inDevtlb(hw, 0, i))).to.deep.equal([true, true, true, true]);
      expect(inIotlb(hw, 1, 0)).to.equal(true);
      // The device TLB's whole space (npages 0: the IOVA is ignored) of every PASID of device 0: the other device's stays.
      await postInvalidation(hw, mustNotWait, 0, { kind: InvKind.DEVTLB, device: 0, pasid: -1, iova: 11 });
      serviceInvalidations(hw, 0);
      expect([0, 1, 2, 3, 4, 5].map((i) => inDevtlb(hw, 0, i))).to.deep.equal([false, false, false, false, false, true]);
      expect(inDevtlb(hw, 1, 0)).to.equal(true);
      // The IOTLB's whole space of PASID 2 only.
      await postInvalidation(hw, mustNotWait, 0, { kind: InvKind.IOTLB, device: 0, pasid: 2 });
      serviceInvalidations(hw, 0);
      expect([0, 3, 4, 5].map((i) => inIotlb(hw, 0, i))).to.deep.equal([true, true, false, true]);
    });

    it('PASID 0 is a target of its own, and the PASID cache drops one PASID or all of a device', async () => {
      const hw = machine();
      cache(hw, 0, 0, 0, 0);
      cache(hw, 0, 1, 0, 1);
      cache(hw, 0, 2, 1, 0);
      cache(hw, 0, IOTLB_ENTRIES - 1, 0, 0); // the IOTLB's last slot of engine 0
      cache(hw, 1, 0, 0, 0); // engine 1's first slot: past the end of engine 0's
      await postInvalidation(hw, mustNotWait, 0, { kind: InvKind.PASID_CACHE, device: 0, pasid: 0 });
      await postInvalidation(hw, mustNotWait, 0, { kind: InvKind.IOTLB, device: 0, pasid: 0 });
      serviceInvalidations(hw, 0);
      expect([0, 1, 2].map((i) => inPasidCache(hw, 0, i))).to.deep.equal([false, true, true]);
      expect([0, 1, 2, IOTLB_ENTRIES - 1].map((i) => inIotlb(hw, 0, i))).to.deep.equal([false, true, true, false]);
      expect([inPasidCache(hw, 1, 0), inIotlb(hw, 1, 0)]).to.deep.equal([true, true]);
      cache(hw, 0, 0, 0, 0);
      await postInvalidation(hw, mustNotWait, 1, { kind: InvKind.PASID_CACHE, device: 0, pasid: -1 });
      serviceInvalidations(hw, 0);
      expect([0, 1, 2].map((i) => inPasidCache(hw, 0, i))).to.deep.equal([false, false, true]);
      expect(inPasidCache(hw, 1, 0)).to.equal(true);
    });

    it('an engine applies only what was posted, after the ring laps', async () => {
      const hw = machine();
      const other = { kind: InvKind.IOTLB, device: 1, pasid: 9 } as const;
      await postInvalidation(hw, mustNotWait, 0, other);
      await postInvalidation(hw, mustNotWait, 0, { kind: InvKind.IOTLB, device: 0, pasid: 1 }); // ring slot 1
      for (let i = 2; i < INV_QUEUE; i++) await postInvalidation(hw, mustNotWait, 0, other);
      serviceInvalidations(hw, 0);
      cache(hw, 0, 0, 0, 1);
      expect(await postInvalidation(hw, mustNotWait, 0, other)).to.equal(INV_QUEUE + 1); // ring slot 0 again
      serviceInvalidations(hw, 0);
      expect(inIotlb(hw, 0, 0), 'slot 1 still holds a descriptor of the last lap: not posted in this one').to.equal(true);
    });

    it('posting waits only for queue space the slowest running engine holds; the wait only for running engines', async () => {
      const hw = machine();
      running(hw, 0, true);
      const d = { kind: InvKind.IOTLB, device: 0, pasid: 1 } as const;
      for (let i = 0; i < INV_QUEUE; i++) await postInvalidation(hw, mustNotWait, 1, d);
      let err = '';
      await postInvalidation(hw, mustNotWait, 1, d).catch((e: Error) => (err = e.message));
      expect(err).to.equal('waited for invalidation queue space on iommu1');
      await waitInvalidation(hw, mustNotWait, 1, INV_QUEUE).catch((e: Error) => (err = e.message));
      expect(err).to.equal('waited for invalidation ack from engine 0 on iommu1');
      serviceInvalidations(hw, 0);
      await waitInvalidation(hw, mustNotWait, 1, INV_QUEUE); // engine 1 is not running: nobody waits for it
      for (let i = 0; i < INV_QUEUE; i++) await postInvalidation(hw, mustNotWait, 1, d);
      running(hw, 0, false); // an engine that left holds no space
      await postInvalidation(hw, mustNotWait, 1, d);
      await waitInvalidation(hw, mustNotWait, 1, 2 * INV_QUEUE + 1);
    });

    it('an engine starts with empty caches of its own and nothing to acknowledge, with 64 units', async () => {
      const hw = machine(64);
      const last = IOTLB_ENTRIES - 1;
      for (const e of [0, 1]) {
        cache(hw, e, 0, 0, 1);
        cache(hw, e, PASID_CACHE_ENTRIES - 1, 0, 1);
        cache(hw, e, last, 0, 1);
      }
      const d = { kind: InvKind.IOTLB, device: 1, pasid: 1 } as const;
      await postInvalidation(hw, mustNotWait, 0, d);
      serviceInvalidations(hw, 0);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([false, true]);
      await postInvalidation(hw, mustNotWait, 63, d);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([true, true]);
      resetEngineTlb(hw, 1);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([true, false]);
      await postInvalidation(hw, mustNotWait, 0, d);
      resetEngineTlb(hw, 0);
      expect([invalidationsPending(hw, 0), invalidationsPending(hw, 1)]).to.deep.equal([false, true]);
      const at = (e: number, i: number) => [inIotlb(hw, e, i), inDevtlb(hw, e, i), i < PASID_CACHE_ENTRIES ? inPasidCache(hw, e, i) : null];
      expect([at(0, 0), at(0, PASID_CACHE_ENTRIES - 1), at(0, last)]).to.deep.equal([
        [false, false, false],
        [false, false, false],
        [false, false, null],
      ]);
      expect([at(1, 0), at(1, PASID_CACHE_ENTRIES - 1), at(1, last)]).to.deep.equal([
        [false, false, false],
        [false, false, false],
        [false, false, null],
      ]);
      cache(hw, 0, last, 0, 1);
      cache(hw, 0, PASID_CACHE_ENTRIES - 1, 0, 1);
      cache(hw, 1, 0, 0, 1);
      resetEngineTlb(hw, 1);
      expect([at(0, PASID_CACHE_ENTRIES - 1), at(0, last)]).to.deep.equal([
        [true, true, true],
        [true, true, null],
      ]);
      cache(hw, 1, 0, 0, 1);
      resetEngineTlb(hw, 0);
      expect(at(1, 0)).to.deep.equal([true, true, true]);
    });
  });

  describe('IO page tables', () => {
    /** Table `id`'s PTE of IOVA page `iova`: [page + 1 (0: none), the page's generation]. */
    const pte = (hw: Hardware, id: number, iova: number) => {
      const w = id * PT_STRIDE + PT.ENTRIES + 2 * iova;
      return [hw.pgtables[w], hw.pgtables[w + 1]];
    };

    it('the pool hands out every slot once, each naming its VM, then ENOMEM; a destroyed slot comes back', () => {
      const hw = machine();
      const pool = new PgtablePool(hw, new PagePool(hw));
      const enomem = { error: 'ENOMEM', why: 'no free IO page table slot' };
      expect([pool.create(1), pool.create(1), pool.create(0)]).to.deep.equal([{ id: 0 }, { id: 1 }, enomem]);
      const vms = () => [hw.pgtables[PT.VM], hw.pgtables[PT_STRIDE + PT.VM], pool.live];
      expect(vms()).to.deep.equal([1, 1, 2]);
      pool.destroy(1);
      pool.destroy(1); // a slot that is not live: nothing happens
      expect(vms()).to.deep.equal([1, 0, 1]);
      expect(pool.create(0)).to.deep.equal({ id: 1 });
      expect(pool.create(0)).to.deep.equal(enomem);
    });

    it('map, unmap and destroy: the PTEs, the pages, the errors and what they say', () => {
      const hw = machine();
      const memory = new PagePool(hw);
      const pool = new PgtablePool(hw, memory);
      const { id } = pool.create(1) as { id: number }; // id 0; VM 1's pages are 4..7, handed out lowest first
      const other = (pool.create(1) as { id: number }).id;
      expect(pool.map(other, 63, 1)).to.equal(null); // the last IOVA page: its neighbour's table must not see it
      expect([pool.map(id, 2, 2), pool.extent(id), pool.extent(other), pool.extent(9)]).to.deep.equal([null, 4, 64, 0]);
      expect([pte(hw, id, 1), pte(hw, id, 2), pte(hw, id, 3), pte(hw, id, 4)]).to.deep.equal([
        [0, 0],
        [7, 0],
        [6, 0],
        [0, 0],
      ]);
      expect(pool.map(id, 3, 2)).to.deep.equal({ error: 'EEXIST', why: 'IOVA pages 3..4 overlap the mapping at 2..3' });
      expect(pool.map(id, 1, 1)).to.equal(null);
      expect(pool.unmap(id, 0, 1)).to.deep.equal({ error: 'ENOENT', why: 'nothing is mapped at IOVA pages 0..0' }); // the area at 1 is past it
      expect(pool.map(id, 4, 2)).to.deep.equal({ error: 'ENOMEM', why: 'VM has 0 free pages, 2 asked' });
      expect(pool.map(id, 0, 65)).to.deep.equal({ error: 'EINVAL', why: 'IOVA pages 0..64 leave the address space (0..63)' });
      expect(pool.unmap(id, 0, 0)).to.deep.equal({ error: 'EINVAL', why: 'pages must be at least 1 (got 0)' });
      expect(pool.unmap(id, 4, 2)).to.deep.equal({ error: 'ENOENT', why: 'nothing is mapped at IOVA pages 4..5' });
      expect(pool.unmap(id, 0, 3)).to.deep.equal({ error: 'ENOENT', why: 'the mapping at 2..3 would be split' });
      expect(pool.unmap(id, 3, 4)).to.deep.equal({ error: 'ENOENT', why: 'the mapping at 2..3 would be split' });
      expect(pool.unmap(id, 2, 2)).to.deep.equal([6, 5]);
      expect([pte(hw, id, 1)[0], pte(hw, id, 2)[0], pte(hw, id, 3)[0], pool.extent(id)]).to.deep.equal([8, 0, 0, 4]);
      pool.release([5]);
      pool.hold(id, [6]);
      pool.hold(9, [6]); // no such table: nothing held
      expect(memory.freeCount(1)).to.equal(1);
      expect(pool.map(id, 2, 1)).to.equal(null); // the released page, its generation moved on
      expect(pte(hw, id, 2)).to.deep.equal([6, 1]);
      pool.destroy(id);
      expect([memory.freeCount(1), pte(hw, id, 1)[0], pte(hw, id, 2)[0], pool.extent(id)]).to.deep.equal([3, 0, 0, 0]);
      expect([pte(hw, other, 63)[0], pool.live]).to.deep.equal([5, 1]);
      expect(pool.unmap(other, 63, 1)).to.deep.equal([4]);
    });

    it('an IOVA range is whole pages of the 64-page address space', () => {
      expect([checkIovaRange(0, 64), checkIovaRange(63, 1), isPgtableError(null), isPgtableError(0), isPgtableError({ id: 0 })]).to.deep.equal([
        null,
        null,
        false,
        false,
        false,
      ]);
      expect(checkIovaRange(0, 1.5)).to.deep.equal({ error: 'EINVAL', why: 'pages must be at least 1 (got 1.5)' });
      expect(checkIovaRange(-1, 1)).to.deep.equal({ error: 'EINVAL', why: 'IOVA pages -1..-1 leave the address space (0..63)' });
      expect(checkIovaRange(0.5, 1)).to.deep.equal({ error: 'EINVAL', why: 'IOVA pages 0.5..0.5 leave the address space (0..63)' });
      expect(checkIovaRange(63, 2)).to.deep.equal({ error: 'EINVAL', why: 'IOVA pages 63..64 leave the address space (0..63)' });
      expect(isPgtableError({ error: 'EINVAL', why: '' })).to.equal(true);
    });
  });

  describe("KVM's vPASID table and the vCPUs", () => {
    it('each VM translates its own vPASIDs, 1..4095, through publish, invalidate and zero', () => {
      const hw = machine();
      kvmPublish(hw, 0, 7, 70);
      kvmPublish(hw, 1, 7, 71);
      kvmPublish(hw, 1, 4095, 72);
      kvmPublish(hw, 0, 0, 73); // a slot no vPASID reads: vPASID 0 never translates
      expect([kvmTranslate(hw, 0, 7), kvmTranslate(hw, 1, 7), kvmTranslate(hw, 1, 4095)]).to.deep.equal([70, 71, 72]);
      expect([kvmTranslate(hw, 0, 0), kvmTranslate(hw, 0, 8), kvmTranslate(hw, 0, -1)]).to.deep.equal([0, 0, 0]);
      expect([kvmTranslate(hw, 0, 4096), kvmTranslate(hw, 1, 4096)]).to.deep.equal([0, 0]);
      kvmInvalidate(hw, 1, 7);
      expect([kvmTranslate(hw, 0, 7), kvmTranslate(hw, 1, 7)]).to.deep.equal([70, 0]);
      kvmZero(hw, 0, 7); // forgets the pPASID, keeps the valid bit for the caller to have cleared
      kvmPublish(hw, 1, 7, 74);
      expect([kvmTranslate(hw, 0, 7), kvmTranslate(hw, 1, 7)]).to.deep.equal([0, 74]);
    });

    it('IA32_PASID and the counters are per vCPU', () => {
      const hw = machine();
      writeMsr(hw, 1, 5);
      writeMsr(hw, 2, 0x100005); // bits above 19:0 are not the vPASID
      const b = VC_STRIDE;
      hw.vcpus[b + VC.GP] = 2;
      hw.vcpus[b + VC.EXITS] = 3;
      hw.vcpus[b + VC.EXIT_VPASID] = 4;
      expect(vcpuCounters(hw, 1)).to.deep.equal({ gp: 2, exits: 3, exitVpasid: 4, msrVpasid: 5 });
      expect(vcpuCounters(hw, 2)).to.deep.equal({ gp: 0, exits: 0, exitVpasid: 0, msrVpasid: 5 });
      expect(hw.vcpus[b + VC.MSR]).to.equal(5 | MSR_PASID_VALID);
      writeMsr(hw, 1, 0);
      expect(hw.vcpus[b + VC.MSR]).to.equal(0);
      expect(vcpuCounters(hw, 0).msrVpasid).to.equal(0);
    });

    it("a quiesce waits for exactly the VM's vCPUs caught mid-submission, until each finishes", async () => {
      const hw = machine();
      const busy = (c: number) => c * VC_STRIDE + VC.BUSY;
      const waiting = (c: number) => hw.vcpus[c * VC_STRIDE + VC.WAIT];
      hw.vcpus[busy(0)] = 2; // between submissions
      hw.vcpus[busy(1)] = 3; // mid-submission
      hw.vcpus[busy(2)] = 1; // mid-submission, but in VM 1
      const waits: string[] = [];
      const finishing: Waiter = {
        until: async (done, arr, index, what) => {
          waits.push(`${what} (WAIT ${waiting(1)}, done ${done()})`);
          expect([arr, index]).to.deep.equal([hw.vcpus, busy(1)]);
          Atomics.add(hw.vcpus, busy(1), 1); // the vCPU finishes its ENQCMD
          if (!done()) throw new Error(`still waiting for ${what}`);
        },
      };
      await kvmQuiesce(hw, finishing, 0);
      expect(waits).to.deep.equal(['vCPU 1 to finish its ENQCMD (WAIT 1, done false)']);
      expect([waiting(0), waiting(1), waiting(2)]).to.deep.equal([0, 0, 0]);
      await kvmQuiesce(hw, mustNotWait, 0); // vCPU 1 is between submissions now
    });
  });
});
