// Deterministic mode: a run is a pure function of (workload, seed, strategy); a deterministic
// report replays to the same violation at the same scheduler step; a real-thread report's
// violation is found again by a seed search.
import { expect } from 'chai';
import type { SimEvent } from '../../actors/events.js';
import type { ModeOptions } from '../../sim/mode.js';
import { STRATEGIES, type StrategyName } from '../../sim/strategies/index.js';
import { replay } from '../../explore/replay.js';
import { DEFAULT_PARAMS, runScenario } from '../../scenarios/scenario.js';
import { loadSequenceFile } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';
import type { Simulation } from '../../sim/simulation.js';
import { teardownRace } from '../../scenarios/teardown-race.js';
import { ok } from '../../actors/result.js';
import { ask, createRuntime, spawnNamed, startSystem, stopSystem, tell } from '../../actors/runtime.js';
import { Prng } from '../../sim/prng.js';
import { DeterministicScheduler } from '../../sim/scheduler.js';
import { randomStrategy } from '../../sim/strategies/random.js';
import { WORK_TIMEOUT_MS, runUntil } from '../threads-runs.js';
import { spawnClosing } from './echo-actors.js';

const det = (strategy: StrategyName): ModeOptions => ({ mode: 'deterministic', strategy, pctDepth: 3 });

/** Every event of a run as JSON, timings removed. */
function recorder(): { attach: (sim: Simulation) => void; text: () => string } {
  const events: Array<Omit<SimEvent, 't'>> = [];
  return {
    attach: (sim) => {
      sim.events$.subscribe((e) => {
        const { t: _t, ...rest } = e;
        events.push(rest);
      });
    },
    text: () => JSON.stringify(events),
  };
}

describe('deterministic mode', function () {
  this.timeout(60000);

  for (const strategy of STRATEGIES) {
    it(`the same seed gives a byte-identical trace twice (teardown-race, ${strategy})`, async () => {
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const rec = recorder();
        const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 0.02, seed: 7, mode: det(strategy) }, { attach: rec.attach });
        runs.push({ r, trace: rec.text() });
      }
      expect(runs[0]!.r.ok).to.equal(true);
      expect(runs[0]!.trace.length).to.be.greaterThan(10000);
      expect(runs[1]!.trace).to.equal(runs[0]!.trace);
      expect(runs[1]!.r.schedule).to.deep.equal(runs[0]!.r.schedule);
      expect(runs[1]!.r.counts).to.deep.equal(runs[0]!.r.counts);
      const other = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 0.02, seed: 8, mode: det(strategy) });
      expect(other.schedule!.pathHash, 'another seed takes another path').to.not.equal(runs[0]!.r.schedule!.pathHash);
    });
  }

  it('a sequence file gives a byte-identical trace twice, messages included', async () => {
    const seq = loadSequenceFile('sequences/agreed-order.yaml');
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const rec = recorder();
      const r = await runSequence(seq, { seed: 3, mode: det('random'), publishMessages: true, attach: rec.attach });
      expect(r.ok, JSON.stringify(r.steps?.filter((s) => !s.met))).to.equal(true);
      texts.push(rec.text());
    }
    expect(texts[0]).to.include('"type":"message"');
    expect(texts[1]).to.equal(texts[0]);
  });

  it('replay reproduces a violation of a deterministic mutant run at the same scheduler step', async () => {
    const r = await runScenario(teardownRace, { ...DEFAULT_PARAMS, durationSec: 0.03, seed: 2, mutant: 'skip-drain', mode: det('pct') });
    expect(r.ok).to.equal(false);
    expect(r.violations[0]!.at).to.be.a('number');
    const out = await replay(JSON.parse(JSON.stringify(r)), 'report.json');
    expect(out.kind).to.equal('exact');
    expect(out.reproduced, out.message).to.equal(true);
    expect(out.replayed).to.deep.include({ invariant: r.violations[0]!.invariant, at: r.violations[0]!.at });
  });

  it('replay of a real-thread report searches deterministic seeds for the same invariant', async function () {
    this.timeout(WORK_TIMEOUT_MS);
    // A failing real-thread report: 1 s runs until one catches the mutant (a loaded machine may need more than one).
    const threads = await runUntil(
      teardownRace,
      () => ({ ...DEFAULT_PARAMS, durationSec: 1, seed: 1, mutant: 'early-recycle' }),
      (runs) => !runs.at(-1)!.report.ok,
    );
    const r = threads.runs.at(-1)!.report;
    expect(r.mode).to.equal('threads');
    expect(r.ok, `early-recycle not caught in ${threads.runs.length} run(s) of 1 s`).to.equal(false);
    const out = await replay(JSON.parse(JSON.stringify(r)), 'report.json');
    expect(out.kind).to.equal('search');
    expect(out.reproduced, out.message).to.equal(true);
    expect(out.replayed!.invariant).to.equal(r.violations[0]!.invariant);
    // What it found replays exactly.
    const again = await replay(JSON.parse(JSON.stringify(out.report)), 'found.json');
    expect(again.reproduced, again.message).to.equal(true);
  });

  it('a crashed engine fails a deterministic run with the same clear error', async () => {
    const crashing = { ...teardownRace, machine: (p: typeof DEFAULT_PARAMS) => ({ ...teardownRace.machine(p), crashEngine: 1 }) };
    const r = await runScenario(crashing, { ...DEFAULT_PARAMS, durationSec: 0.01, mode: det('random') });
    expect(r.ok).to.equal(false);
    expect(r.error).to.match(/engine 1 failed/);
  });

  it("a stopped actor's queued mail is answered right after the step that stopped it, while other steps keep the ready list full", async () => {
    type Spin = { t: 'spin' };
    const sched = new DeterministicScheduler(randomStrategy({ prng: new Prng(1), depth: 1, expectedSteps: 100 }));
    const runtime = createRuntime({ now: () => sched.now }, { kind: 'stepped', scheduler: sched });
    const system = startSystem(`deterministic-test-${process.pid}`);
    try {
      const root = runtime.spawnRoot(system, 'root');
      sched.start();
      // A busy actor: its own mail is always ready, so time never jumps and the pump never idles.
      let spinning = true;
      const spinner = spawnNamed<null, Spin>(
        root,
        'spinner',
        null,
        (s, _m, self) => {
          if (spinning) tell('spinner', self, { t: 'spin' });
          return s;
        },
        () => undefined,
      );
      tell('test', spinner, { t: 'spin' });
      const closing = spawnClosing(root);
      // 1 virtual ms is about 500 actor steps: far fewer than a periodic event-loop turn would take.
      const [first, queued] = [ask('test', closing, { t: 'echo', n: 1 }, 1), ask('test', closing, { t: 'echo', n: 2 }, 1)];
      expect(await first).to.deep.equal(ok(1));
      const q = await queued;
      spinning = false;
      expect(q.ok ? 'ok' : q.errno, `answered at step ${sched.steps}`).to.equal('EBADF');
    } finally {
      await sched.stop();
      stopSystem(system);
    }
  });
});
