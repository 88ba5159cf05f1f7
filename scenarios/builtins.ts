// The built-in scenarios, by name.
import type { Scenario } from './scenario.js';
import { teardownRace } from './teardown-race.js';

export const SCENARIOS: readonly Scenario[] = [teardownRace];
export const SCENARIO_BY_NAME: ReadonlyMap<string, Scenario> = new Map(SCENARIOS.map((s) => [s.name, s]));
