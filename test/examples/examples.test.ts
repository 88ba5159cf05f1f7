// Examples run in the test suite: as a module, and as a script that must exit on its own.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type VmmOutcome, runVmmExample } from '../../examples/vmm-hotplug.js';
import { WORK_TIMEOUT_MS } from '../threads-runs.js';

describe('examples', function () {
  this.timeout(60000);

  it('vmm-hotplug: vIOMMU binds for two processes, ENQCMD and DMA, hot-unplug under load, clean', async function () {
    this.timeout(WORK_TIMEOUT_MS);
    // The unplug must come while ENQCMD and DMA really run: on a loaded machine the jobs may not
    // have got going within 300 ms, so the load phase doubles until they did (every run clean).
    let out: VmmOutcome | null = null;
    for (let loadMs = 300; loadMs <= 20_000 && !(out && out.accepted > 0 && out.landed > 0 && out.unplugRacedDma > 0); loadMs *= 2) {
      out = await runVmmExample(loadMs);
      expect(out.violations, `load ${loadMs} ms`).to.deep.equal([]);
      expect(out.ok, `load ${loadMs} ms`).to.equal(true);
      expect(out.unplugAnswer, `load ${loadMs} ms`).to.equal('ok');
    }
    expect(out!.accepted, 'ENQCMD submissions were accepted').to.be.greaterThan(0);
    expect(out!.landed, 'DMA landed').to.be.greaterThan(0);
    expect(out!.unplugRacedDma, "the unplug's teardowns began with the device's DMA in flight").to.be.greaterThan(0);
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
