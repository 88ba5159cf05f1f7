// Every scheduling strategy, by name: the one list that deterministic mode creates from, the
// CLI offers and a report's name is checked against. A new strategy is its file and a line here.
import { pctStrategy } from './pct.js';
import { randomStrategy } from './random.js';
import type { Strategy, StrategyOptions } from './strategy.js';

export const STRATEGY_BY_NAME = {
  random: randomStrategy,
  pct: pctStrategy,
} as const satisfies Record<string, (o: StrategyOptions) => Strategy>;

export type StrategyName = keyof typeof STRATEGY_BY_NAME;
export const STRATEGIES = Object.keys(STRATEGY_BY_NAME) as StrategyName[];
