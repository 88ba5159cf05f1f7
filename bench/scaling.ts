// Section 5: how the model scales. (a) DMA rate with 1, 2, ... engine threads up to the core
// count, each against the one-engine rate measured in the same rounds. (b) The cost of n IOASIDs
// as n grows to the whole 20-bit PASID space, each size in a fresh child process (a clean heap
// to measure, and room to grow it), against n bare nact actors in a child of their own.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SpaceSample } from './pasid-space.js';
import { type Row, type Section, pairedRow, row } from './result.js';
import { DmaRig } from './rig.js';
import { interleave, median } from './stats.js';

export interface WorkerScalingOptions {
  readonly rounds: number;
  readonly roundMs: number;
}

export async function benchWorkers(o: WorkerScalingOptions): Promise<Section> {
  const max = os.availableParallelism();
  const rig = await DmaRig.create(max, max);
  try {
    const counts = Array.from({ length: max }, (_, i) => i + 1);
    const sides = Object.fromEntries(counts.map((k) => [`w${k}`, async () => (await rig.rate(k, o.roundMs)) / k])) as Record<string, () => Promise<number>>;
    await interleave(1, sides);
    const r = await interleave(o.rounds, sides);
    const rows = counts.map((k) => pairedRow(`DMA translations/s per worker, ${k} worker(s) at once`, r[`w${k}`]!, r.w1!, 'ops/s'));
    return {
      id: 'scaling-workers',
      title: 'DMA scaling with engine threads',
      baseline: 'the per-worker rate with one engine thread, measured in the same interleaved rounds',
      rows,
      figures: {
        cores: max,
        rounds: o.rounds,
        roundMs: o.roundMs,
        ...Object.fromEntries(counts.map((k) => [`totalOpsPerSec.w${k}`, median(r[`w${k}`]!) * k])),
      },
      notes: [
        `${max} core(s) reported by os.availableParallelism(), shared with whatever else runs on the machine; each worker runs one device's unbounded DMA`,
      ],
    };
  } finally {
    await rig.finish();
  }
}

export interface SpaceOptions {
  /** IOASID counts to measure; the largest is the whole space of `bits` (2^bits - 1). */
  readonly sizes: readonly number[];
  readonly bits: number;
}

/** Below this many, growth of heap and RSS is lost in the noise of a GC and page commits. */
const MIN_MEMORY_N = 10_000;
const BIG_HEAP_MIB = 12288; // the whole 20-bit space takes a few GiB of heap: more than V8's default limit
// With a multi-GiB heap of actors each scavenge takes tens of ms (stopped nact actors are promoted
// garbage); a larger young generation makes 4x fewer of them: the whole-space run went 136 s -> 118 s.
const SEMI_SPACE_MIB = 64;
const NODE_FLAGS = ['--expose-gc', `--max-old-space-size=${BIG_HEAP_MIB}`, `--max-semi-space-size=${SEMI_SPACE_MIB}`];
const child = fileURLToPath(new URL('./pasid-space.js', import.meta.url));

async function runChild(mode: SpaceSample['mode'], n: number, bits: number): Promise<SpaceSample> {
  const args = [...NODE_FLAGS, child, mode, String(n), String(bits)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as SpaceSample;
}

export async function benchPasidSpace(o: SpaceOptions): Promise<Section> {
  const space = (1 << o.bits) - 1;
  const rows: Row[] = [];
  const figures: Record<string, number> = { pasidBits: o.bits, space };
  let first: SpaceSample | null = null;
  let whole: SpaceSample | null = null;
  for (const n of o.sizes) {
    const io = await runChild('ioasid', n, o.bits);
    const bare = await runChild('actor', n, o.bits);
    if (io.n === space && !(io.exhausted && io.allFree))
      throw new Error(`bench: whole space of ${space}: exhausted=${io.exhausted}, all free after DESTROY=${io.allFree}`);
    first ??= io;
    const us = (s: SpaceSample) => ((s.createSec + s.releaseSec) * 1e6) / s.n;
    rows.push(row(`time per IOASID (ALLOC + DESTROY), n=${n}`, us(io), us(bare), 'us'));
    if (n >= MIN_MEMORY_N)
      rows.push(row(`heap per IOASID, n=${n}`, io.heapBytesPer, bare.heapBytesPer, 'B'), row(`RSS per IOASID, n=${n}`, io.rssBytesPer, bare.rssBytesPer, 'B'));
    figures[`n${n}.allocSec`] = io.createSec;
    figures[`n${n}.destroySec`] = io.releaseSec;
    figures[`n${n}.peakRssMiB`] = io.peakRssMiB;
    figures[`n${n}.heapAfterAllocMiB`] = io.heapAfterCreateMiB;
    figures[`n${n}.heapAfterDestroyMiB`] = io.heapAfterReleaseMiB; // back near the start: nothing leaks
    figures[`n${n}.timePerIoasidVsSmallest`] = us(io) / us(first);
    if (n === space) whole = io;
  }
  const notes = [
    `each size in a fresh child process (node ${NODE_FLAGS.join(' ')}), ${o.bits}-bit PASIDs, ALLOCs and DESTROYs through one FD with 64 calls in flight`,
    `memory per IOASID is the heap/RSS growth after a full GC divided by n, shown from n=${MIN_MEMORY_N} on (below that it is noise)`,
  ];
  if (whole) {
    notes.push(
      `whole space, n=${space}: every PASID allocated (each IOASID an actor) in ${whole.createSec.toFixed(1)} s, the next ALLOC answered ENOSPC, DESTROY of all in ${whole.releaseSec.toFixed(1)} s left the allocator all free; peak RSS ${whole.peakRssMiB.toFixed(0)} MiB, heap ${whole.heapBeforeMiB.toFixed(0)} MiB before, ${whole.heapAfterCreateMiB.toFixed(0)} MiB after ALLOC, ${whole.heapAfterReleaseMiB.toFixed(0)} MiB after DESTROY`,
    );
  }
  return {
    id: 'scaling-pasids',
    title: 'Cost of a run as IOASIDs grow to the whole PASID space',
    baseline: 'n bare nact actors spawned with the facade under a spawn-only parent, then stopped, in a child process of their own',
    rows,
    figures,
    notes,
  };
}
