// The embedding API as a user sees it: one call to build a simulation, typed handles, the
// event stream, the monitor's state, a subsystem under an embedder's own actor, and a clean
// shutdown that lets the process exit.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSimulation } from '../../index.js';
import type { SimEvent } from '../../index.js';
import { type ReplyTo, ask, reply, spawnNamed, startSystem, stopSystem } from '../../actors/runtime.js';
import { type Result, ok } from '../../actors/result.js';
import { consumerProject } from './consumer.js';

describe('embedding API', function () {
  this.timeout(120000);

  it('drives the uAPI through typed handles and streams typed events', async () => {
    const sim = createSimulation({ machine: { workers: 1 } });
    const seen = new Map<SimEvent['type'], number>();
    sim.events$.subscribe((e) => seen.set(e.type, (seen.get(e.type) ?? 0) + 1));
    const fd = await sim.open('vm1');
    if (!fd.ok) throw new Error(fd.message);
    const p = await fd.value.alloc();
    if (!p.ok) throw new Error(p.message);
    expect((await fd.value.bindPgtbl(p.value, 8)).ok).to.equal(true);
    const dev = sim.device('dev1');
    expect((await dev.allow(fd.value, p.value)).ok).to.equal(true);
    const job = await dev.dmaStart(p.value);
    const burst = await dev.dma(p.value, 5000);
    expect(burst.ok && burst.value.landed).to.equal(5000);
    expect((await dev.disallow(fd.value, p.value)).ok).to.equal(true);
    if (job.ok) await job.value.stop();
    expect(await sim.pasidState(p.value)).to.deep.equal({ ok: true, value: 'in-use' });
    expect((await fd.value.close()).ok).to.equal(true);
    expect(await sim.pasidState(p.value)).to.deep.equal({ ok: true, value: 'free' });
    expect((await fd.value.alloc()).ok, 'a closed FD answers an errno').to.equal(false);
    expect(() => sim.device('nope')).to.throw(RangeError, /no device named nope/);
    const st = await sim.shutdown();
    expect(st.ok).to.equal(true);
    expect(seen.get('call')).to.equal(seen.get('reply'));
    expect(seen.get('kref')).to.be.greaterThan(0);
    expect(seen.get('stats')).to.be.greaterThan(0);
  });

  it('spawns the subsystem under an actor of an existing nact system and stops only itself', async () => {
    const system = startSystem('embedder-vmm');
    type Ping = { t: 'ping'; replyTo: ReplyTo<Result<string>> };
    const vmm = spawnNamed<null, Ping>(
      system,
      'vmm',
      null,
      (s, m) => {
        reply(m.replyTo, ok('alive'));
        return s;
      },
      () => {},
    );
    try {
      const sim = createSimulation({ parent: vmm });
      const fd = await sim.open('vm1');
      expect(fd.ok).to.equal(true);
      const st = await sim.shutdown();
      expect(st.ok).to.equal(true);
      expect(await ask('test', vmm, { t: 'ping' }, 1000), "the embedder's actor outlives the subsystem").to.deep.equal({ ok: true, value: 'alive' });
    } finally {
      stopSystem(system);
    }
  });

  it('a script outside the package imports it by name, runs, reads events and exits on its own', async () => {
    const dir = await consumerProject();
    writeFileSync(
      join(dir, 'events.mjs'),
      `
        import { createSimulation, INVARIANTS } from 'ioasid-sim';
        const sim = createSimulation({ machine: { workers: 2 } });
        let replies = 0;
        sim.events$.subscribe((e) => { if (e.type === 'reply') replies++; });
        const fd = (await sim.open('vm1')).value;
        const p = (await fd.alloc()).value;
        await fd.bindPgtbl(p, 8);
        await sim.device('dev1').allow(fd, p);
        const d = await sim.device('dev1').dma(p, 20000);
        await sim.device('dev1').disallow(fd, p);
        await fd.destroy(p);
        const st = await sim.shutdown();
        console.log(JSON.stringify({ landed: d.value.landed, ok: st.ok, replies, invariants: Object.keys(INVARIANTS).length }));
      `,
    );
    // No process.exit in the script: it must end because nothing is left open.
    const r = spawnSync(process.execPath, ['events.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30000 });
    expect(r.status, r.stderr).to.equal(0);
    // 7 calls of the script, then shutdown's close-out: close of the FD left open, close of dev1.
    expect(JSON.parse(r.stdout.trim())).to.deep.equal({ landed: 20000, ok: true, replies: 9, invariants: 16 });
  });
});
