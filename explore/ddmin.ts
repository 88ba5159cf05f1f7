// Delta debugging (Zeller's ddmin, complement-only): split the current list into n chunks, try
// the list without each chunk, keep the first that still shows the failure (n back down by one),
// else double n until chunks are single items. Every candidate first goes through `close`,
// which drops what no longer makes sense without the removed items (a step whose names lost
// their binding step); a candidate no smaller than the current list is not run.

export interface DdminProbe<T> {
  /** The candidate made well formed: items that depend on removed ones go too. */
  close(items: readonly T[]): T[];
  /** How big a list is (steps, for lists of groups of steps). */
  size(items: readonly T[]): number;
  /** Does the candidate still show the failure? */
  shows(items: readonly T[]): Promise<boolean>;
  /** No more candidates may run (the budget is spent). */
  spent(): boolean;
}

export async function ddmin<T>(items: readonly T[], p: DdminProbe<T>): Promise<T[]> {
  let cur = [...items];
  let n = 2;
  while (cur.length >= 2 && !p.spent()) {
    const chunk = Math.ceil(cur.length / n);
    let cut = false;
    for (let i = 0; i < cur.length && !p.spent(); i += chunk) {
      const rest = p.close([...cur.slice(0, i), ...cur.slice(i + chunk)]);
      const smaller = rest.length > 0 && p.size(rest) < p.size(cur);
      if (smaller && (await p.shows(rest))) {
        cur = rest;
        n = Math.max(n - 1, 2);
        cut = true;
        break;
      }
    }
    if (cut) continue;
    if (n >= cur.length) break;
    n = Math.min(n * 2, cur.length);
  }
  return cur;
}
