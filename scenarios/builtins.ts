// The built-in scenarios, by name.
import type { Scenario } from './scenario.js';
import { churn } from './churn.js';
import { closeWhileBusy } from './close-while-busy.js';
import { enqcmd } from './enqcmd.js';
import { isolation } from './isolation.js';
import { teardownRace } from './teardown-race.js';
import { teardownStorm } from './teardown-storm.js';
import { unmapRace } from './unmap-race.js';
import { iopf } from './iopf.js';
import { viommu } from './viommu.js';

export const SCENARIOS: readonly Scenario[] = [teardownRace, churn, isolation, closeWhileBusy, enqcmd, viommu, teardownStorm, unmapRace, iopf];
export const SCENARIO_BY_NAME: ReadonlyMap<string, Scenario> = new Map(SCENARIOS.map((s) => [s.name, s]));
