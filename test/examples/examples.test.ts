// Examples run in the test suite: as a module, and as a script that must exit on its own.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runVmmExample } from '../../examples/vmm-hotplug.js';

describe('examples', function () {
  this.timeout(60000);

  it('vmm-hotplug: vIOMMU binds for two processes, ENQCMD and DMA, hot-unplug under load, clean', async () => {
    const out = await runVmmExample(300);
    expect(out.violations).to.deep.equal([]);
    expect(out.ok).to.equal(true);
    expect(out.unplugAnswer).to.equal('ok');
    expect(out.accepted, 'ENQCMD submissions were accepted').to.be.greaterThan(0);
    expect(out.landed, 'DMA landed').to.be.greaterThan(0);
    expect(out.unplugRacedDma, "the unplug's teardowns began with the device's DMA in flight").to.be.greaterThan(0);
  });

  it('vmm-hotplug as a script exits 0 by itself', () => {
    const script = fileURLToPath(new URL('../../examples/vmm-hotplug.js', import.meta.url));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30000 });
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).to.equal(true);
    expect(out.landed, 'DMA landed').to.be.greaterThan(0);
    expect(out.accepted, 'ENQCMD submissions were accepted').to.be.greaterThan(0);
  });
});
