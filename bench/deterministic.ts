// Section 7: deterministic steps/s. The subject is the deterministic scheduler driving actors of a
// stepped runtime that only pass mail on (every step a delivery picked by the random strategy,
// through nact's mailbox, the runtime's delivery and the pump's settling), and teardown-race in
// deterministic mode, the model's own work included. Each is measured against two loops without
// the model, both seeded picks of one of N ready deliveries whose handler sends the next: the
// nact loop (issue 14's "bare seeded delivery loop over nact-sized messages": real nact actors,
// nact's dispatch and mailbox, handleMessage replaced by a push on the ready list) and the tight
// loop (the ready list alone, no nact), kept as a second, stricter baseline.
import { type ActorRef, type SystemRef, createRuntime, spawnNamed, startSystem, stopActor, stopSystem, tell } from '../actors/runtime.js';
import { DEFAULT_PARAMS, runScenario } from '../scenarios/scenario.js';
import { teardownRace } from '../scenarios/teardown-race.js';
import * as nact from '../actors/nact.js';
import type { NactActor } from '../actors/nact.js';
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

/** A ready delivery of the nact loop: an idle nact actor's message. */
type NactDelivery = { readonly source: string; readonly actor: NactActor; readonly message: Pass };

/**
 * The nact loop (issue 14's "bare seeded delivery loop over nact-sized messages", the shape the
 * deterministic scheduler started from): real nact actors whose handleMessage pushes
 * a step on a ready list, sent to with nact's dispatch (the lookup of the target by its path, a
 * sender object, the envelope in a busy actor's mailbox); the random strategy picks one of the
 * ready deliveries, the handler runs and sends the next, and nact's processNext hands the
 * actor's next envelope back (or marks it idle). No runtime, scheduler, pump, promises or model.
 */
async function nactSteps(steps: number, seed: number, system: SystemRef): Promise<number> {
  const strategy = randomStrategy({ prng: new Prng(seed), depth: 1, expectedSteps: steps });
  const pick = new Prng(seed ^ 0x7a55);
  const root = nact.spawn(system, `nact-loop-${seed}`, null, () => undefined).ref;
  const ready: NactDelivery[] = [];
  const refs: unknown[] = [];
  const handled = new Array<number>(ACTORS).fill(0);
  for (let a = 0; a < ACTORS; a++) {
    const { ref, actor } = nact.spawn(root, `a${a}`, a, () => undefined);
    const source = `actor:a${a}`;
    actor.handleMessage = (message: unknown) => {
      actor.busy = true;
      ready.push({ source, actor, message: message as Pass });
    };
    refs.push(ref);
  }
  for (let i = 0; i < IN_FLIGHT; i++) nact.dispatch(refs[i % ACTORS], { t: 'pass', n: i, from: 'bench' });
  let hash = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const n = ready.length;
    const i = strategy.pick(ready, s);
    const d = ready[i]!;
    ready.splice(i, 1);
    hash = (Math.imul(hash ^ i, 0x01000193) + n) | 0;
    const a = d.actor.state as number;
    handled[a]! += d.message.n & 1;
    nact.dispatch(refs[pick.int(ACTORS)], { t: 'pass', n: d.message.n + 1, from: `a${a}` });
    d.actor.afterMessage();
    d.actor.processNext();
  }
  const dt = performance.now() - t0;
  nact.stop(root);
  await new Promise((res) => setImmediate(res)); // nact forgets the stopped actor's name
  if (hash === 42 && handled[0] === -1) throw new Error('unreachable: keeps the loop observable');
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
      nact: async () => nactSteps(o.steps, seed, system),
      scheduler: async () => schedulerSteps(o.steps, seed, system),
      scenario: async () => scenarioSteps(o.scenarioSec, seed),
    };
    await interleave(2, sides); // warm-up: the JIT, and nact's first systems
    const r = await interleave(o.rounds, sides);
    return {
      id: 'deterministic',
      title: 'deterministic steps/s',
      baseline: `two loops, each a row's baseline: the tight loop (the random strategy picks one of ${IN_FLIGHT} ready deliveries of message objects, in-order removal, path hash, the handler sends the next) and the nact loop (the same over real nact actors whose handleMessage pushes the step: nact's dispatch with its lookup of the target, sender object and mailbox envelope, and its processNext); neither has the runtime, the scheduler's pump, promises or the model`,
      rows: [
        pairedRow('scheduler steps/s, actors passing mail on, vs the nact loop', r.scheduler, r.nact, 'steps/s', { kind: 'min', ratio: 0.7 }),
        pairedRow(`scheduler steps/s, teardown-race (${o.scenarioSec} virtual s, model included), vs the nact loop`, r.scenario, r.nact, 'steps/s', {
          kind: 'min',
          ratio: 0.7,
        }),
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
