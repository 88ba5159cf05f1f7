// Section 7: deterministic steps/s. The subject is the deterministic scheduler driving actors of a
// stepped runtime that only pass mail on (every step a delivery picked by the random strategy,
// through nact's mailbox, the runtime's delivery and the pump's settling), and teardown-race in
// deterministic mode, the model's own work included. Each is measured against two loops without
// the model, both seeded picks of one of N ready deliveries whose handler sends the next: the
// nact-shaped loop (issue 14's "bare seeded delivery loop over nact-sized messages": a lookup of
// the target by name, a sender object, an envelope in a busy actor's mailbox) and the tight loop
// (the ready list alone), kept as a second, stricter baseline.
import { type ActorRef, type SystemRef, createRuntime, spawnNamed, startSystem, stopActor, stopSystem, tell } from '../actors/runtime.js';
import { DEFAULT_PARAMS, runScenario } from '../scenarios/scenario.js';
import { teardownRace } from '../scenarios/teardown-race.js';
import { Prng } from '../sim/prng.js';
import { DeterministicScheduler } from '../sim/scheduler.js';
import { randomStrategy } from '../sim/strategies/random.js';
import { type Section, pairedRow } from './result.js';
import { interleave } from './stats.js';

export interface DeterministicOptions {
  readonly rounds: number;
  /** Scheduler steps per round of the pass-along rows. */
  readonly steps: number;
  /** Virtual seconds of each teardown-race run. */
  readonly scenarioSec: number;
}

/** Actors passing mail on, and messages in flight: the ready list holds about this many. */
const ACTORS = 16;
const IN_FLIGHT = 16;

/** About what a facade message carries: a tag, a payload, a sender. */
type Pass = { t: 'pass'; n: number; from: string };

/** A ready delivery of the bare loop: who it is for (as a scheduler step's source) and its message. */
type BareDelivery = { readonly source: string; readonly to: number; readonly msg: Pass };

/** The bare loop: the random strategy picks one of the ready deliveries, it leaves in order and runs. */
function bareSteps(steps: number, seed: number): number {
  const strategy = randomStrategy({ prng: new Prng(seed), depth: 1, expectedSteps: steps });
  const pick = new Prng(seed ^ 0x7a55);
  const sources = Array.from({ length: ACTORS }, (_, a) => `actor:a${a}`);
  const ready: BareDelivery[] = [];
  const handled = new Array<number>(ACTORS).fill(0);
  for (let i = 0; i < IN_FLIGHT; i++) ready.push({ source: sources[i % ACTORS]!, to: i % ACTORS, msg: { t: 'pass', n: i, from: 'bench' } });
  let hash = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const i = strategy.pick(ready, s);
    const d = ready[i]!;
    ready.splice(i, 1);
    hash = (Math.imul(hash ^ i, 0x01000193) + ready.length + 1) | 0;
    handled[d.to]! += d.msg.n & 1;
    const to = pick.int(ACTORS);
    ready.push({ source: sources[to]!, to, msg: { t: 'pass', n: d.msg.n + 1, from: `a${d.to}` } });
  }
  const dt = performance.now() - t0;
  if (hash === 42 && handled[0] === -1) throw new Error('unreachable: keeps the loop observable');
  return (steps * 1000) / dt;
}

/** An actor of the nact-shaped loop: what nact's Actor keeps for a delivery (busy flag, mailbox of envelopes). */
interface LoopActor {
  readonly name: string;
  readonly source: string;
  busy: boolean;
  handled: number;
  readonly mailbox: Array<{ readonly message: Pass; readonly sender: object }>;
  /** Next envelope to take: a queue without shifting the array. */
  head: number;
}
/** A ready delivery of the nact-shaped loop: one idle actor's message. */
type LoopDelivery = { readonly source: string; readonly actor: LoopActor; readonly message: Pass };

/**
 * The nact-shaped loop (the "bare seeded delivery loop over nact-sized messages"): what a
 * delivery through nact costs without nact's setImmediate, the pump, promises or the model. A
 * send looks the target up by name (nact's system map), makes a sender object (nact's Nobody)
 * and either queues an envelope in the busy target's mailbox or makes a delivery step; the random
 * strategy picks one of the ready deliveries, the handler runs and sends the next, and the actor
 * takes its next envelope or goes idle (nact's processNext).
 */
function nactShapedSteps(steps: number, seed: number): number {
  const strategy = randomStrategy({ prng: new Prng(seed), depth: 1, expectedSteps: steps });
  const pick = new Prng(seed ^ 0x7a55);
  const byName = new Map<string, LoopActor>();
  const names: string[] = [];
  for (let a = 0; a < ACTORS; a++) {
    const name = `a${a}`;
    names.push(name);
    byName.set(name, { name, source: `actor:${name}`, busy: false, handled: 0, mailbox: [], head: 0 });
  }
  const ready: LoopDelivery[] = [];
  const send = (to: string, message: Pass) => {
    const actor = byName.get(to)!;
    const sender = { system: 'bench' };
    if (actor.busy) actor.mailbox.push({ message, sender });
    else {
      actor.busy = true;
      ready.push({ source: actor.source, actor, message });
    }
  };
  for (let i = 0; i < IN_FLIGHT; i++) send(names[i % ACTORS]!, { t: 'pass', n: i, from: 'bench' });
  let hash = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const n = ready.length;
    const i = strategy.pick(ready, s);
    const d = ready[i]!;
    ready.splice(i, 1);
    hash = (Math.imul(hash ^ i, 0x01000193) + n) | 0;
    const a = d.actor;
    a.handled += d.message.n & 1;
    send(names[pick.int(ACTORS)]!, { t: 'pass', n: d.message.n + 1, from: a.name });
    if (a.head < a.mailbox.length) {
      const next = a.mailbox[a.head]!;
      a.mailbox[a.head++] = undefined as never;
      if (a.head === a.mailbox.length) {
        a.mailbox.length = 0;
        a.head = 0;
      }
      ready.push({ source: a.source, actor: a, message: next.message });
    } else a.busy = false;
  }
  const dt = performance.now() - t0;
  if (hash === 42 && byName.get('a0')!.handled === -1) throw new Error('unreachable: keeps the loop observable');
  return (steps * 1000) / dt;
}

/** The scheduler and a stepped runtime over actors that pass every message on to a seeded pick. */
async function schedulerSteps(steps: number, seed: number, system: SystemRef): Promise<number> {
  const sched = new DeterministicScheduler(randomStrategy({ prng: new Prng(seed), depth: 1, expectedSteps: steps }));
  const runtime = createRuntime({ now: () => sched.now }, { kind: 'stepped', scheduler: sched });
  const root = runtime.spawnRoot(system, 'pass-along');
  const pick = new Prng(seed ^ 0x7a55);
  const actors: Array<ActorRef<Pass>> = [];
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((res) => {
    resolveDone = res;
  });
  for (let a = 0; a < ACTORS; a++) {
    const name = `a${a}`;
    actors.push(
      spawnNamed<number, Pass>(
        root,
        name,
        0,
        (handled, m) => {
          if (sched.steps >= steps) resolveDone();
          else tell(name, actors[pick.int(ACTORS)]!, { t: 'pass', n: m.n + 1, from: name });
          return handled + (m.n & 1);
        },
        () => undefined,
      ),
    );
  }
  for (let i = 0; i < IN_FLIGHT; i++) tell('bench', actors[i % ACTORS]!, { t: 'pass', n: i, from: 'bench' });
  const t0 = performance.now();
  sched.start();
  await done;
  const dt = performance.now() - t0;
  const taken = sched.steps;
  await sched.stop();
  stopActor(root);
  await new Promise((res) => setImmediate(res)); // nact forgets the stopped actor's name
  return (taken * 1000) / dt;
}

/** teardown-race in deterministic mode: scheduler steps per second of the whole run. */
async function scenarioSteps(durationSec: number, seed: number): Promise<number> {
  const t0 = performance.now();
  const r = await runScenario(teardownRace, {
    ...DEFAULT_PARAMS,
    durationSec,
    seed,
    keepGoing: true,
    mode: { mode: 'deterministic', strategy: 'random', pctDepth: 3 },
  });
  const dt = performance.now() - t0;
  if (!r.schedule) throw new Error('a deterministic run without a schedule');
  return (r.schedule.steps * 1000) / dt;
}

export async function benchDeterministic(o: DeterministicOptions): Promise<Section> {
  const system = startSystem(`bench-deterministic-${process.pid}`);
  try {
    let seed = 0;
    const sides = {
      bare: async () => bareSteps(o.steps, ++seed),
      nactShaped: async () => nactShapedSteps(o.steps, seed),
      scheduler: async () => schedulerSteps(o.steps, seed, system),
      scenario: async () => scenarioSteps(o.scenarioSec, seed),
    };
    await interleave(2, sides); // warm-up: the JIT, and nact's first systems
    const r = await interleave(o.rounds, sides);
    return {
      id: 'deterministic',
      title: 'deterministic steps/s',
      baseline: `two loops, each a row's baseline: the tight loop (the random strategy picks one of ${IN_FLIGHT} ready deliveries of message objects, in-order removal, path hash, the handler sends the next) and the nact-shaped loop (the same, plus what a delivery through nact touches: a lookup of the target by name, a sender object per send, an envelope in the busy target's mailbox, the actor's next envelope or idle); neither has a pump, runtime, nact or model`,
      rows: [
        pairedRow('scheduler steps/s, actors passing mail on, vs the nact-shaped loop', r.scheduler, r.nactShaped, 'steps/s', { kind: 'min', ratio: 0.7 }),
        pairedRow(
          `scheduler steps/s, teardown-race (${o.scenarioSec} virtual s, model included), vs the nact-shaped loop`,
          r.scenario,
          r.nactShaped,
          'steps/s',
          {
            kind: 'min',
            ratio: 0.7,
          },
        ),
        pairedRow('scheduler steps/s, actors passing mail on, vs the tight loop', r.scheduler, r.bare, 'steps/s', { kind: 'min', ratio: 0.7 }),
        pairedRow(`scheduler steps/s, teardown-race (${o.scenarioSec} virtual s, model included), vs the tight loop`, r.scenario, r.bare, 'steps/s', {
          kind: 'min',
          ratio: 0.7,
        }),
      ],
      figures: { rounds: o.rounds, stepsPerRound: o.steps, actors: ACTORS, inFlight: IN_FLIGHT, scenarioSec: o.scenarioSec },
      notes: [
        `pass-along: ${ACTORS} actors of one stepped runtime, ${IN_FLIGHT} messages in flight, the random strategy; every step is one delivery`,
        'teardown-race: 2 VMs x 2 devices x 4 PASIDs, random strategy; its steps do the engines, actors and auditor work of the model',
        'an engine step is one phase (a DMA batch: open, then translate its 32 accesses; a landing; an ENQCMD: translate, then accept), an actor step one delivery (docs/model.md#deterministic-mode)',
      ],
    };
  } finally {
    stopSystem(system);
  }
}
