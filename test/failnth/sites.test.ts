// fail-nth on a purpose-built file whose fallible steps cover every site, and proof that the
// sweep can fail: an error path that forgets to give back what it took is reported as a leak.
import { expect } from 'chai';
import type { Simulation } from '../../sim/simulation.js';
import { failNth, failNthSummary } from '../../explore/failnth.js';
import { parseSequence } from '../../sequence/file.js';
import { isPgtableError } from '../../hardware/pgtable.js';

// One of each fallible step, in order: pasid-alloc, pgtable-alloc, iommu-install, worker-start;
// then the teardowns, each with a device or KVM still holding what it tears down, so each runs
// its invalidation wait and drain (or KVM's quiesce): DISALLOW, KVM_CLEAR_PASID, DESTROY, and
// close(fd) of an FD whose IOASID a device holds, so the close-out has parked PASIDs to free.
const EVERY_SITE = parseSequence(
  `
name: every fallible site
machine:
  pasidBits: 4
  vms:
    - name: vm1
      pages: 32
      devices:
        - { name: dev1 }
        - { name: dev2 }
steps:
  - { op: open, vm: vm1, as: fd1 }
  - { op: alloc, fd: fd1, as: a1, expect: ok }
  - { op: bind_pgtbl, fd: fd1, ioasid: a1, pages: 8, expect: ok }
  - { op: allow, device: dev1, fd: fd1, ioasid: a1, expect: ok }
  - { op: dma, device: dev1, ioasid: a1, ops: 500, expect: ok }
  - { op: alloc, fd: fd1, as: a2, expect: ok }
  - { op: bind_pgtbl, fd: fd1, ioasid: a2, pages: 4, expect: ok }
  - { op: allow, device: dev2, fd: fd1, ioasid: a2, expect: ok }
  - { op: disallow, device: dev1, fd: fd1, ioasid: a1, expect: ok }
  - { op: destroy, fd: fd1, ioasid: a1, expect: ok }
  - { op: kvm_set_pasid, vm: vm1, vpasid: 1, fd: fd1, ioasid: a2, expect: ok }
  - { op: kvm_clear_pasid, vm: vm1, vpasid: 1, expect: ok }
  - { op: alloc, fd: fd1, as: a3, expect: ok }
  - { op: allow, device: dev1, fd: fd1, ioasid: a3, expect: ok }
  - { op: destroy, fd: fd1, ioasid: a3, expect: ok }
  - { op: close, fd: fd1, expect: ok }
`,
  'every-site.yaml',
);

describe('fail-nth', function () {
  this.timeout(60000);

  it('fails each site in turn, teardowns included, and every failure ends in an errno with nothing leaked', async () => {
    const r = await failNth(EVERY_SITE);
    expect(r.ok, failNthSummary(r)).to.equal(true);
    const failed = r.runs.filter((run) => run.site !== null);
    expect(failed.map((run) => [run.site, run.op])).to.deep.equal([
      ['pasid-alloc', 'alloc'],
      ['pgtable-alloc', 'bind_pgtbl'],
      ['iommu-install', 'allow'],
      ['worker-start', 'dma'],
      ['pasid-alloc', 'alloc'],
      ['pgtable-alloc', 'bind_pgtbl'],
      ['iommu-install', 'allow'],
      ['invalidation-wait', 'disallow'],
      ['drain', 'disallow'],
      ['kvm-quiesce', 'kvm_clear_pasid'],
      ['pasid-alloc', 'alloc'],
      ['iommu-install', 'allow'],
      ['invalidation-wait', 'destroy'],
      ['drain', 'destroy'],
      ['invalidation-wait', 'close'],
      ['drain', 'close'],
    ]);
    expect(failed.map((run) => run.result)).to.deep.equal([
      'ENOSPC',
      'ENOMEM',
      'ENOMEM',
      'ENOMEM',
      'ENOSPC',
      'ENOMEM',
      'ENOMEM',
      'EIO',
      'EIO',
      'EIO',
      'ENOSPC',
      'ENOMEM',
      'EIO',
      'EIO',
      'EIO',
      'EIO',
    ]);
    expect(r.fallibleSteps).to.equal(16);
    expect(r.runs.at(-1)).to.include({ n: 17, site: null, ok: true });
    expect(r.runs.at(-1)!.unmet, 'nothing failed, so every expect holds').to.deep.equal([]);
    expect(failed[0]!.unmet.length, 'a failed ALLOC changes later outcomes: reported, not judged').to.be.greaterThan(0);
    expect(failNthSummary(r)).to.match(/ok: 16 fallible steps/);
  });

  it('reports a leak when an error path keeps what it took (a deliberately leaking variant)', async () => {
    // The first failed call of each run "forgets" a page table of 2 pages, as a buggy error path would.
    const leakOnFirstError = (sim: Simulation) => {
      let leaked = false;
      sim.events$.subscribe((e) => {
        if (e.type === 'reply' && !e.result.ok && !leaked) {
          leaked = true;
          const pt = sim.machine.env.host.pgtables.create(0);
          if (!isPgtableError(pt)) sim.machine.env.host.pgtables.map(pt.id, 0, 2);
        }
      });
    };
    const r = await failNth(EVERY_SITE, { attach: leakOnFirstError });
    expect(r.ok).to.equal(false);
    for (const run of r.runs.filter((x) => x.site !== null)) {
      expect(run.ok, `n=${run.n}`).to.equal(false);
      expect(run.leaks).to.deep.equal(['1 IO page table(s) live', 'vm1: 2 of 32 pages not free']);
    }
    expect(r.runs.at(-1), 'nothing failed, nothing leaked').to.include({ site: null, ok: true });
    expect(failNthSummary(r)).to.match(/leak: 1 IO page table/);
  });
});
