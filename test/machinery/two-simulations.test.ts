// Two simulations spawned under one nact parent (an embedder running two machines) stay
// independent: each counts only its own messages, and a deterministic one takes the same path
// as when it runs alone, whatever the other does (runs real threads, runs its own schedule,
// shuts down while the first is mid-run).
import { expect } from 'chai';
import { type IoasidSim, createSimulation } from '../../index.js';
import type { ModeOptions } from '../../sim/mode.js';
import { type ParentRef, spawnNamed, startSystem, stopSystem } from '../../actors/runtime.js';
import { value, vm } from '../helpers.js';

const DET: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };
const machine = { vms: [vm('vm1', ['dev1', 'dev2'])], workers: 1 };

/** One FD's life: a PASID allocated, bound, allowed, used for DMA and torn down. */
async function unit(sim: IoasidSim, device: string): Promise<void> {
  const fd = value(await sim.open('vm1'));
  const p = value(await fd.alloc());
  value(await fd.bindPgtbl(p, 4));
  const dev = sim.device(device);
  value(await dev.allow(fd, p));
  value(await dev.dma(p, 40));
  value(await dev.disallow(fd, p));
  value(await fd.destroy(p));
  value(await fd.close());
}

/** The fixed workload of the deterministic simulation: two lanes of four units; `halfway` fires (not awaited) after lane 0's second. */
async function workload(sim: IoasidSim, halfway: () => void = () => {}): Promise<void> {
  await Promise.all(
    ['dev1', 'dev2'].map(async (dev, lane) => {
      for (let i = 0; i < 4; i++) {
        await unit(sim, dev);
        if (lane === 0 && i === 1) halfway();
      }
    }),
  );
}

interface Path {
  readonly pathHash: number;
  readonly steps: number;
  readonly messages: number;
}
function pathOf(sim: IoasidSim): Path {
  const s = sim.simulation.scheduler!;
  return { pathHash: s.pathHash, steps: s.steps, messages: sim.simulation.counts().messages };
}

/** Run the deterministic workload to its end and shut down; its path. */
async function runDeterministic(parent: ParentRef, halfway?: () => void): Promise<Path & { readonly endedAt: number }> {
  const sim = createSimulation({ parent, machine, seed: 5, mode: DET });
  await workload(sim, halfway);
  const path = { ...pathOf(sim), endedAt: performance.now() };
  expect((await sim.shutdown()).ok).to.equal(true);
  return path;
}

describe('two simulations under one nact parent', function () {
  this.timeout(60000);
  let system: ReturnType<typeof startSystem>;
  let parent: ParentRef;
  let alone: Path;
  const pathOnly = ({ endedAt: _, ...p }: Path & { endedAt: number }): Path => p;

  before(async () => {
    system = startSystem(`two-simulations-${process.pid}`);
    parent = spawnNamed<null, never>(
      system,
      'vmm',
      null,
      () => null,
      () => undefined,
    );
    alone = pathOnly(await runDeterministic(parent));
  });
  after(() => stopSystem(system));

  it('the deterministic run is repeatable alone (the baseline the others are held to)', async () => {
    expect(alone.messages).to.be.greaterThan(0);
    expect(pathOnly(await runDeterministic(parent))).to.deep.equal(alone);
  });

  it('while the other runs on real threads: same path, and each counts only its own messages', async () => {
    // One unit's messages, on a threads simulation alone.
    const probe = createSimulation({ parent, machine });
    await unit(probe, 'dev1');
    const perUnit = probe.simulation.counts().messages;
    await probe.shutdown();
    expect(perUnit).to.be.greaterThan(0);

    const threads = createSimulation({ parent, machine });
    let done = false;
    let units = 0;
    const other = (async () => {
      while (!done) {
        await unit(threads, 'dev1');
        units++;
      }
    })();
    try {
      expect(pathOnly(await runDeterministic(parent))).to.deep.equal(alone);
    } finally {
      done = true;
      await other;
    }
    expect(units, 'the threads simulation ran alongside').to.be.greaterThan(0);
    expect(threads.simulation.counts().messages).to.equal(units * perUnit);
    expect((await threads.shutdown()).ok).to.equal(true);
  });

  it('while another deterministic one runs and shuts down in the middle: both take their own paths', async () => {
    const otherAlone = await (async () => {
      const sim = createSimulation({ parent, machine, seed: 9, mode: DET });
      await unit(sim, 'dev2');
      const p = pathOf(sim);
      await sim.shutdown();
      return p;
    })();

    const other = createSimulation({ parent, machine, seed: 9, mode: DET });
    const otherRan = unit(other, 'dev2').then(() => pathOf(other));
    let stoppedAt = Infinity;
    let shutdown: Promise<void> = Promise.resolve();
    const path = await runDeterministic(parent, () => {
      shutdown = otherRan
        .then(() => other.shutdown())
        .then(() => {
          stoppedAt = performance.now();
        });
    });
    await shutdown;
    expect(stoppedAt, "the other shut down before this one's workload ended").to.be.below(path.endedAt);
    expect(pathOnly(path)).to.deep.equal(alone);
    expect(await otherRan).to.deep.equal(otherAlone);
  });
});
