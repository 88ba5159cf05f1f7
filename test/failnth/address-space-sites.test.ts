// fail-nth at the address-space sites (docs/kernel-facts.md#a-flush-that-does-not-complete): the first
// MAP's entry-change flush, UNMAP's ranged flush and its drain. Each failure is an EIO with the
// call undone (MAP) or its range unmapped (UNMAP), nothing leaked, the auditor clean; and a failed
// UNMAP frees none of its pages until the address space is destroyed.
import { expect } from 'chai';
import { failNth, failNthSummary } from '../../explore/failnth.js';
import { parseSequence } from '../../sequence/file.js';
import type { Simulation } from '../../sim/simulation.js';

const MAP_UNMAP = parseSequence(
  `
name: map and unmap under DMA, every address-space site
machine:
  iommus: 2
  vms:
    - name: vm1
      pages: 32
      devices:
        - { name: dev-ats, iommu: 0, ats: true }
        - { name: dev-plain, iommu: 1 }
steps:
  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1, expect: ok }
  - { op: allow, device: dev-ats, fd: fd1, ioasid: a1, expect: ok }
  - { op: allow, device: dev-plain, fd: fd1, ioasid: a1, expect: ok }
  - { op: map, fd: fd1, ioasid: a1, iova: 0, pages: 4, expect: ok }
  - { op: dma, device: dev-ats, ioasid: a1, ops: 500, expect: ok }
  - { op: dma, device: dev-plain, ioasid: a1, ops: 500, expect: ok }
  - { op: unmap, fd: fd1, ioasid: a1, iova: 0, pages: 4, expect: ok }
  - { op: dma, device: dev-ats, ioasid: a1, ops: 500, expect: fault }
  - { op: map, fd: fd1, ioasid: a1, iova: 0, pages: 4, expect: ok }
  - { op: close, fd: fd1, expect: ok }
`,
  'map-unmap-sites.yaml',
);

describe('fail-nth at the address-space sites', function () {
  this.timeout(120000);

  it('fails the MAP flush and the UNMAP flush and drain: EIO, nothing leaked, no violation', async () => {
    const r = await failNth(MAP_UNMAP);
    expect(r.ok, failNthSummary(r)).to.equal(true);
    const failed = r.runs.filter((run) => run.site !== null).map((run) => [run.site, run.op, run.result]);
    // The first MAP flushes on both units (the second MAP changes no entry); UNMAP flushes on both, then drains each.
    expect(failed).to.deep.equal([
      ['pasid-alloc', 'alloc', 'ENOSPC'],
      ['iommu-install', 'allow', 'ENOMEM'],
      ['iommu-install', 'allow', 'ENOMEM'],
      ['pgtable-alloc', 'map', 'ENOMEM'],
      ['map-flush', 'map', 'EIO'],
      ['map-flush', 'map', 'EIO'],
      ['worker-start', 'dma', 'ENOMEM'],
      ['unmap-flush', 'unmap', 'EIO'],
      ['unmap-drain', 'unmap', 'EIO'],
      ['unmap-flush', 'unmap', 'EIO'],
      ['unmap-drain', 'unmap', 'EIO'],
      ['invalidation-wait', 'close', 'EIO'],
      ['drain', 'close', 'EIO'],
      ['invalidation-wait', 'close', 'EIO'],
      ['drain', 'close', 'EIO'],
    ]);
  });

  it('a failed UNMAP frees none of its pages; they go back when the address space is destroyed', async () => {
    // Per run: the VM's free pages when each UNMAP was called and when it answered EIO.
    const seen: { called: number; failed: number; site: string | null }[] = [];
    const watch = (sim: Simulation) => {
      const pages = sim.machine.env.host.pages;
      let called = -1;
      sim.events$.subscribe((e) => {
        if (e.type === 'call' && e.op === 'unmap') called = pages.freeCount(0);
        if (e.type === 'reply' && e.op === 'unmap' && !e.result.ok) seen.push({ called, failed: pages.freeCount(0), site: e.result.errno });
      });
    };
    const r = await failNth(MAP_UNMAP, { attach: watch });
    expect(r.ok, failNthSummary(r)).to.equal(true);
    const eio = seen.filter((s) => s.site === 'EIO');
    expect(eio.length, 'the UNMAP failed at its flush and at its drain').to.be.at.least(2);
    for (const s of eio) expect(s.failed, 'no page freed by the failed UNMAP').to.equal(s.called);
  });
});
