// Random walk: every ready step is equally likely at every turn.
import type { Strategy, StrategyOptions } from './strategy.js';

export function randomStrategy(o: StrategyOptions): Strategy {
  return { pick: (ready) => o.prng.int(ready.length) };
}
