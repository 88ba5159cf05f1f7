// Small statistics and timing helpers shared by every bench section. Every figure is a ratio
// against a baseline measured in the same process and run, with baseline and subject rounds
// interleaved (ABBA), so drift from other load on the shared machine hits both sides alike.

export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** The q-quantile (0..1) by nearest rank. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/**
 * Run `rounds` rounds of each measurement, alternating the order every round (ABBA...), and
 * return every side's samples. Each function returns one sample (e.g. a rate).
 */
export async function interleave<K extends string>(rounds: number, sides: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? keys : [...keys].reverse();
    for (const k of order) out[k].push(await sides[k]());
  }
  return out;
}

/** Count what `body` gets done per second while it runs `concurrency` loops for `ms`. */
export async function ratePerSec(ms: number, concurrency: number, body: (lane: number) => Promise<number>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < end) {
        // Not `done += await ...`: that reads `done` before the await and loses other lanes' counts.
        const n = await body(lane);
        done += n;
      }
    }),
  );
  return (done * 1000) / (performance.now() - t0);
}
