// The nact facade: what it promises beyond nact itself.
import { expect } from 'chai';
import nact from 'nact';
import { type Result, ok } from '../../actors/result.js';
import {
  type ParentRef,
  type ReplyTo,
  type SystemRef,
  ask,
  createRuntime,
  reply,
  spawnNamed,
  startSystem,
  stopActor,
  stopSystem,
} from '../../actors/runtime.js';
import { Prng } from '../../sim/prng.js';
import { DeterministicScheduler } from '../../sim/scheduler.js';
import { randomStrategy } from '../../sim/strategies/random.js';
import { type Echo, spawnClosing, spawnEcho } from './echo-actors.js';

async function withSystem(f: (system: SystemRef) => Promise<void>): Promise<void> {
  const system = startSystem(`runtime-test-${process.pid}`);
  try {
    await f(system);
  } finally {
    stopSystem(system);
  }
}

describe('actor runtime facade', () => {
  it("two nact queries in flight (an embedder's) never share a reply port, even when nact draws the same random id for both", () =>
    withSystem(async (system) => {
      const echo = spawnEcho(system);
      const random = Math.random;
      Math.random = () => 0.5; // nact names a query's reply port with Math.random()
      let answers: Promise<Result<number>>[];
      try {
        answers = [1, 2].map((n) => nact.query(echo as never, (replyTo: unknown) => ({ t: 'echo', n, replyTo }), 500) as Promise<Result<number>>);
      } finally {
        Math.random = random;
      }
      expect(await Promise.all(answers)).to.deep.equal([ok(1), ok(2)]);
    }));

  it('ask: each of many requests in flight gets its own answer', () =>
    withSystem(async (system) => {
      const echo = spawnEcho(system);
      const ns = Array.from({ length: 500 }, (_, i) => i);
      expect(await Promise.all(ns.map((n) => ask('test', echo, { t: 'echo', n }, 1000)))).to.deep.equal(ns.map((n) => ok(n)));
    }));

  it('ask: an actor that never answers gives ETIMEDOUT soon after the bound, and a late answer is dropped', () =>
    withSystem(async (system) => {
      let held: ReplyTo<Result<number>> | null = null;
      const mute = spawnNamed<null, Echo>(
        system,
        'mute',
        null,
        (s, m) => {
          held = m.replyTo;
          return s;
        },
        () => undefined,
      );
      const t0 = performance.now();
      const r = await ask('test', mute, { t: 'echo', n: 1 }, 100);
      const took = performance.now() - t0;
      expect(r.ok ? 'ok' : r.errno).to.equal('ETIMEDOUT');
      expect(took).to.be.at.least(99);
      expect(held).to.not.equal(null);
      reply(held!, ok(1)); // after the timeout: ignored, not thrown
    }));

  it('ask: a stopped actor answers ENOENT at once; mail queued when it stops is answered with its errno', () =>
    withSystem(async (system) => {
      const gate: Array<() => void> = [];
      const slow = spawnNamed<null, Echo>(
        system,
        'slow',
        null,
        async (s, m) => {
          await new Promise<void>((r) => gate.push(r));
          reply(m.replyTo, ok(m.n));
          return s;
        },
        () => undefined,
        { errno: 'EBADF', message: 'closed' },
      );
      const first = ask('test', slow, { t: 'echo', n: 1 }, 5000);
      const queued = ask('test', slow, { t: 'echo', n: 2 }, 5000);
      await new Promise((r) => setImmediate(r));
      stopActor(slow);
      for (const g of gate) g();
      const q = await queued;
      expect(q.ok ? 'ok' : q.errno).to.equal('EBADF');
      expect(await first, 'the message being handled when it stopped still answers').to.deep.equal(ok(1));
      const gone = await ask('test', slow, { t: 'echo', n: 3 }, 5000);
      expect(gone.ok ? 'ok' : gone.errno).to.equal('ENOENT');
    }));

  it('ask: a message whose actor stops before its turn comes is answered with its errno, not dropped', () =>
    withSystem(async (system) => {
      const echo = spawnEcho(system, 'echo', { errno: 'ENOENT', message: 'released' });
      const pending = ask('test', echo, { t: 'echo', n: 1 }, 5000); // delivery queued for the next turn
      stopActor(echo);
      const r = await pending;
      expect(r.ok ? 'ok' : `${r.errno} ${r.message}`).to.equal('ENOENT echo: released');
    }));
});

describe('runtime on a deterministic scheduler', () => {
  /** A scheduler, a runtime stepped by it under a fresh system, and its root actor. */
  async function withStepped(f: (sched: DeterministicScheduler, root: ParentRef) => Promise<void>): Promise<void> {
    const sched = new DeterministicScheduler(randomStrategy({ prng: new Prng(1), depth: 1, expectedSteps: 100 }));
    const runtime = createRuntime({ now: () => sched.now }, { kind: 'stepped', scheduler: sched });
    await withSystem(async (system) => {
      const root = runtime.spawnRoot(system, 'root');
      sched.start();
      try {
        await f(sched, root);
      } finally {
        await sched.stop();
      }
    });
  }
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  it('a request nobody answers times out at its deadline in virtual time, as a step of its own', () =>
    withStepped(async (sched, root) => {
      const mute = spawnNamed<null, Echo>(
        root,
        'mute',
        null,
        (s) => s,
        () => undefined,
      );
      const r = await ask('test', mute, { t: 'echo', n: 1 }, 10000);
      expect(r.ok ? 'ok' : r.errno).to.equal('ETIMEDOUT');
      expect({ now: sched.now, steps: sched.steps }, 'the delivery, then the deadline timer at exactly 10 virtual s').to.deep.equal({ now: 10000, steps: 2 });
    }));

  it("mail queued at an actor that stops is answered with its errno, not timed out by a jump to the deadline while nact's answer is on its way", () =>
    withStepped(async (sched, root) => {
      // It stops after an await, so nact answers the queued mail in a setImmediate after the step's.
      const closing = spawnClosing(root);
      const [first, queued] = [ask('test', closing, { t: 'echo', n: 1 }, 10000), ask('test', closing, { t: 'echo', n: 2 }, 10000)];
      expect(await first).to.deep.equal(ok(1));
      const q = await queued;
      expect(q.ok ? 'ok' : q.errno).to.equal('EBADF');
      expect(sched.now).to.be.below(1);
    }));

  it('an answered request leaves no deadline behind: an idle scheduler does not move time on', () =>
    withStepped(async (sched, root) => {
      const echo = spawnEcho(root);
      expect(await ask('test', echo, { t: 'echo', n: 1 }, 10000)).to.deep.equal(ok(1));
      await turns(20);
      expect(sched.steps).to.equal(1);
      expect(sched.now).to.be.below(1);
    }));
});
