// Section 1: uAPI calls per second through the actors, against bare nact `query` round trips
// (nact's own spawn and query, to an echo actor) at the same number of calls in flight. The
// subject is a realistic cycle, ALLOC -> BIND_PGTBL -> ALLOW -> DISALLOW -> DESTROY, run by
// many lanes at once (each lane its own device, two lanes per VM's FD), on the bare Machine and
// on a Simulation (the same machine with the invariant monitor watching).
import { DEFAULT_DEVICE, type MachineSpec, defaultMachineSpec } from '../machine/spec.js';
import { Machine } from '../machine/machine.js';
import { type Result, okVoid } from '../actors/result.js';
import nact from 'nact';
import { startSystem, stopSystem } from '../actors/runtime.js';
import { Simulation } from '../sim/simulation.js';
import { type Section, pairedRow, row } from './result.js';
import { interleave, ratePerSec } from './stats.js';

export interface UapiOptions {
  readonly rounds: number;
  readonly roundMs: number;
  readonly concurrency: number;
}

const PAGES = 4;
const OPS = ['alloc', 'bind_pgtbl', 'allow', 'disallow', 'destroy'] as const;

function machineSpec(lanes: number): MachineSpec {
  const vms = Array.from({ length: Math.ceil(lanes / 2) }, (_, v) => ({
    name: `vm${v + 1}`,
    vcpus: 1,
    pages: 2 * PAGES + 16,
    quota: null,
    devices: [0, 1].map((d) => ({ name: `vm${v + 1}-dev${d + 1}`, ...DEFAULT_DEVICE })),
  }));
  return defaultMachineSpec({ vms, workers: 1 });
}

/** One lane's cycle of five calls; lane l drives device l through its VM's FD. */
async function cycle(m: Machine, fds: readonly number[], lane: number): Promise<number> {
  const fd = fds[lane >> 1]!;
  const a = await m.invoke('alloc', { fd });
  if (!a.ok) throw new Error(`bench: alloc failed: ${a.errno} ${a.message}`);
  const p = a.value;
  for (const r of [
    await m.invoke('bind_pgtbl', { fd, ioasid: p, pages: PAGES }),
    await m.invoke('allow', { device: lane, fd, ioasid: p }),
    await m.invoke('disallow', { device: lane, fd, ioasid: p }),
    await m.invoke('destroy', { fd, ioasid: p }),
  ]) {
    if (!r.ok) throw new Error(`bench: uAPI cycle failed: ${r.errno} ${r.message}`);
  }
  return OPS.length;
}

async function openAll(m: Machine, vms: number): Promise<number[]> {
  const fds: number[] = [];
  for (let v = 0; v < vms; v++) {
    const r = await m.invoke('open', { vm: v });
    if (!r.ok) throw new Error(`bench: open failed: ${r.message}`);
    fds.push(r.value);
  }
  return fds;
}

/** Actor messages (requests and tells, not replies) each call of one cycle sends, run alone. */
async function hopsPerOp(m: Machine, fds: readonly number[]): Promise<Record<string, number>> {
  let hops = 0;
  m.traceMessages((_from, _to, _kind, isReply) => {
    if (!isReply) hops++;
  });
  const fd = fds[0]!;
  const counted = async (f: () => Promise<Result<unknown>>) => {
    const h0 = hops;
    const r = await f();
    if (!r.ok) throw new Error(`bench: ${r.message}`);
    return { r, n: hops - h0 };
  };
  const a = await counted(() => m.invoke('alloc', { fd }));
  const p = a.r.ok ? (a.r.value as number) : 0;
  const out: Record<string, number> = { alloc: a.n };
  out.bind_pgtbl = (await counted(() => m.invoke('bind_pgtbl', { fd, ioasid: p, pages: PAGES }))).n;
  out.allow = (await counted(() => m.invoke('allow', { device: 0, fd, ioasid: p }))).n;
  out.disallow = (await counted(() => m.invoke('disallow', { device: 0, fd, ioasid: p }))).n;
  out.destroy = (await counted(() => m.invoke('destroy', { fd, ioasid: p }))).n;
  m.traceMessages(null);
  return out;
}

export async function benchUapi(o: UapiOptions): Promise<Section> {
  const C = o.concurrency;
  const system = startSystem(`bench-echo-${process.pid}`);
  // The baseline is nact as it comes: its own spawn, dispatch and query, none of the facade.
  const echo = nact.spawn(
    system as never,
    (s: null, msg: { replyTo: nact.Ref<unknown> }) => {
      nact.dispatch(msg.replyTo, okVoid);
      return s;
    },
    'echo',
  );
  const bare = new Machine(machineSpec(C), { emit: () => undefined });
  const sim = new Simulation({ spec: machineSpec(C), seed: 1 });
  try {
    const vms = Math.ceil(C / 2);
    const bareFds = await openAll(bare, vms);
    const simFds = await openAll(sim.machine, vms);
    const sides = {
      query: () =>
        ratePerSec(o.roundMs, C, async () => {
          await nact.query(echo, (replyTo) => ({ replyTo }), 10000);
          return 1;
        }),
      machine: () => ratePerSec(o.roundMs, C, (lane) => cycle(bare, bareFds, lane)),
      simulation: () => ratePerSec(o.roundMs, C, (lane) => cycle(sim.machine, simFds, lane)),
    };
    await interleave(1, sides); // warm-up: JIT, mailboxes, maps at their working size
    const r = await interleave(o.rounds, sides);
    const hops = await hopsPerOp(bare, bareFds);
    const perCall = OPS.reduce((a, op) => a + hops[op]!, 0) / OPS.length;
    return {
      id: 'uapi',
      title: 'uAPI calls/s through the actors',
      baseline: `bare nact query round trips/s (nact.query to an echo actor), ${C} in flight`,
      rows: [
        pairedRow(`uAPI calls/s, Machine (${C} in flight)`, r.machine, r.query, 'calls/s', { kind: 'min', ratio: 1 / 3 }),
        pairedRow(`uAPI calls/s, Simulation with monitor (${C} in flight)`, r.simulation, r.query, 'calls/s'),
        row('actor hops per call (vs one round trip)', perCall, 1, 'hops'),
      ],
      figures: {
        concurrency: C,
        rounds: o.rounds,
        roundMs: o.roundMs,
        hopsPerCall: perCall,
        ...Object.fromEntries(OPS.map((op) => [`hops.${op}`, hops[op]!])),
      },
      notes: [
        'cycle: ALLOC, BIND_PGTBL (4 pages), ALLOW, DISALLOW, DESTROY per lane; every lane its own device, two lanes per FD; no DMA running',
        'a hop is one actor message (request or tell); a request is one round trip through the facade (a reply port, no nact query)',
      ],
    };
  } finally {
    await bare.shutdown();
    await sim.finish();
    stopSystem(system);
  }
}
