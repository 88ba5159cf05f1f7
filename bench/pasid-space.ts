// Child process of section 5 (run by scaling.ts with --expose-gc and, for the big sizes, a larger
// heap): the cost of n IOASIDs on one machine, or of n bare nact actors as its baseline. Prints
// one JSON line. In `ioasid` mode it ALLOCs n IOASIDs through one FD (each an actor), checks the
// next ALLOC answers ENOSPC when n is the whole space, DESTROYs them all and checks the
// allocator is back to all free.
import { Machine } from '../machine/machine.js';
import { defaultMachineSpec } from '../machine/spec.js';
import { type ParentRef, spawnNamed, startSystem, stopActor, stopSystem, type ActorRef } from '../actors/runtime.js';
import { must } from './rig.js';

export interface SpaceSample {
  readonly mode: 'ioasid' | 'actor';
  readonly n: number;
  /** Time to create n (ALLOC, or spawn) and to let them all go (DESTROY, or stop). */
  readonly createSec: number;
  readonly releaseSec: number;
  readonly heapBytesPer: number;
  readonly rssBytesPer: number;
  readonly peakRssMiB: number;
  readonly heapAfterCreateMiB: number;
  /** Heap after a full GC once all are let go: back near where it started unless something leaks. */
  readonly heapAfterReleaseMiB: number;
  readonly heapBeforeMiB: number;
  /** ioasid mode, whole space: the next ALLOC answered ENOSPC. */
  readonly exhausted: boolean;
  /** ioasid mode: the allocator showed every PASID free after the DESTROYs. */
  readonly allFree: boolean;
}

const IN_FLIGHT = 64; // calls kept in flight, so the FD's mailbox never runs dry
const MiB = 1024 * 1024;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Run `n` numbered tasks with IN_FLIGHT of them in flight. */
async function pool(n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, IN_FLIGHT) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** Time `create`, then memory per item, then time `release`. */
async function measure(
  n: number,
  create: () => Promise<void>,
  release: () => Promise<void>,
): Promise<Pick<SpaceSample, 'createSec' | 'releaseSec' | 'heapBytesPer' | 'rssBytesPer' | 'heapBeforeMiB' | 'heapAfterCreateMiB' | 'heapAfterReleaseMiB'>> {
  gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  await create();
  const createSec = (performance.now() - t0) / 1000;
  gc();
  const m1 = process.memoryUsage();
  const t1 = performance.now();
  await release();
  const releaseSec = (performance.now() - t1) / 1000;
  gc();
  const m2 = process.memoryUsage();
  return {
    createSec,
    releaseSec,
    heapBytesPer: (m1.heapUsed - m0.heapUsed) / n,
    rssBytesPer: (m1.rss - m0.rss) / n,
    heapBeforeMiB: m0.heapUsed / MiB,
    heapAfterCreateMiB: m1.heapUsed / MiB,
    heapAfterReleaseMiB: m2.heapUsed / MiB,
  };
}

async function ioasids(n: number, bits: number): Promise<SpaceSample> {
  const m = new Machine(defaultMachineSpec({ pasidBits: bits, workers: 1, vms: [{ name: 'vm1', vcpus: 1, pages: 16, quota: null, devices: [] }] }), {
    emit: () => undefined,
  });
  try {
    const fd = must(await m.invoke('open', { vm: 0 }), 'open');
    const ids = new Int32Array(n);
    const space = (1 << bits) - 1;
    let exhausted = false;
    const t = await measure(
      n,
      async () => {
        await pool(n, async (i) => {
          ids[i] = must(await m.invoke('alloc', { fd }), 'alloc');
        });
        if (n === space) {
          const next = await m.invoke('alloc', { fd });
          if (next.ok || next.errno !== 'ENOSPC') throw new Error(`bench: ALLOC past the whole space answered ${next.ok ? `PASID ${next.value}` : next.errno}`);
          exhausted = true;
        }
      },
      () =>
        pool(n, async (i) => {
          must(await m.invoke('destroy', { fd, ioasid: ids[i]! }), 'destroy');
        }),
    );
    const s = must(await m.allocatorStats(), 'stats');
    return {
      mode: 'ioasid',
      n,
      ...t,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      exhausted,
      allFree: s.inUse === 0 && s.parked === 0 && s.free === space,
    };
  } finally {
    await m.shutdown();
  }
}

/** The baseline: n idle actors made with the facade under a spawn-only parent, then stopped. */
async function actors(n: number): Promise<SpaceSample> {
  const system = startSystem(`bench-actors-${process.pid}`);
  try {
    const parent: ParentRef = spawnNamed<null, never>(
      system,
      'parent',
      null,
      () => null,
      () => undefined,
    );
    const refs: ActorRef<never>[] = new Array(n);
    const t = await measure(
      n,
      async () => {
        for (let i = 0; i < n; i++)
          refs[i] = spawnNamed<null, never>(
            parent,
            `a${i}`,
            null,
            () => null,
            () => undefined,
          );
      },
      async () => {
        for (let i = 0; i < n; i++) stopActor(refs[i]!);
        await new Promise((r) => setImmediate(r)); // the stops' afterStop callbacks
      },
    );
    return { mode: 'actor', n, ...t, peakRssMiB: process.resourceUsage().maxRSS / 1024, exhausted: false, allFree: false };
  } finally {
    stopSystem(system);
  }
}

const [mode, nArg, bitsArg] = process.argv.slice(2);
const n = Number(nArg);
const sample = mode === 'ioasid' ? await ioasids(n, Number(bitsArg)) : await actors(n);
process.stdout.write(`${JSON.stringify(sample)}\n`);
