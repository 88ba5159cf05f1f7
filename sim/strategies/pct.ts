// PCT, probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every source gets a
// random priority when first seen and the highest-priority ready step runs; at depth-1 change
// points, chosen uniformly over the expected run length, the running source drops below all
// others. Engines never block, so a source that has run BURST steps in a row also drops: without
// that, a busy engine at top priority would starve everything until the next change point.
import type { Strategy, StrategyOptions } from './strategy.js';

const BURST = 64;

export function pctStrategy(o: StrategyOptions): Strategy {
  const priority = new Map<string, number>();
  const changePoints = new Set<number>();
  for (let i = 0; i < Math.max(0, o.depth - 1); i++) changePoints.add(o.prng.int(Math.max(1, o.expectedSteps)));
  let lowest = 0;
  let last = '';
  let run = 0;
  const prio = (s: string) => {
    let p = priority.get(s);
    if (p === undefined) {
      p = 1 + o.prng.float();
      priority.set(s, p);
    }
    return p;
  };
  return {
    pick(ready, step) {
      let best = 0;
      for (let i = 1; i < ready.length; i++) if (prio(ready[i]!.source) > prio(ready[best]!.source)) best = i;
      const src = ready[best]!.source;
      run = src === last ? run + 1 : 1;
      last = src;
      if (changePoints.has(step) || run >= BURST) {
        priority.set(src, --lowest);
        run = 0;
      }
      return best;
    },
  };
}
