// piscina entry point of `sweep --jobs N`: one task is one deterministic seed, run on this
// thread's own event loop (deterministic mode starts no engine threads) and returned as the
// sweep run the serial sweep would have made of it.
import type { SweepRun } from '../report/report.js';
import type { ScenarioParams } from '../scenarios/scenario.js';
import { SCENARIO_BY_NAME } from '../scenarios/builtins.js';
import type { ModeOptions } from '../sim/mode.js';
import { runSeed } from './sweep-run.js';

export interface SweepTask {
  /** A built-in scenario: a scenario's code cannot cross to a thread, its name can. */
  readonly scenario: string;
  readonly params: Omit<ScenarioParams, 'seed'>;
  readonly seed: number;
  readonly mode: ModeOptions;
  /** Tests: the task throws, as a worker that fails would. */
  readonly failForTest?: boolean;
}

export default async function runSweepTask(task: SweepTask): Promise<SweepRun> {
  if (task.failForTest) throw new Error(`seed ${task.seed} failed on purpose (test)`);
  const scenario = SCENARIO_BY_NAME.get(task.scenario);
  if (!scenario) throw new Error(`no built-in scenario '${task.scenario}'`);
  return runSeed(scenario, task.params, task.seed, task.mode);
}
