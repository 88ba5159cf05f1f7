// `merge`: join sweep reports (the shards of one sweep, or sweeps of adjacent seed ranges) into
// one report, as if one machine had run every seed. Reports that cannot belong together are
// refused: another scenario, mutant, mode, version or scale; a seed run twice; a seed of the
// joined range that no report ran (a shard is missing).
import { isDeepStrictEqual } from 'node:util';
import { InputError, readInputFile } from '../input/input-error.js';
import { type SweepReport, VERDICTS, type Verdict, sweepVerdict } from './report.js';

export interface LoadedSweep {
  readonly file: string;
  readonly report: SweepReport;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isSeed = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

export function loadSweepReport(file: string): LoadedSweep {
  const text = readInputFile(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: JSON syntax error: ${(e as Error).message}`);
  }
  const bad = (field: string, what: string) => new InputError(`${file}: field '${field}' ${what}`);
  if (!isObj(doc) || doc.tool !== 'ioasid-sim') throw new InputError(`${file}: not an ioasid-sim report`);
  if (doc.kind !== 'sweep') throw bad('kind', `is ${JSON.stringify(doc.kind)}, only sweep reports can be merged`);
  if (typeof doc.scenario !== 'string') throw bad('scenario', 'must be a string');
  if (doc.mutant !== null && typeof doc.mutant !== 'string') throw bad('mutant', 'must be a string or null');
  const seeds = doc.seeds;
  if (!isObj(seeds) || !isSeed(seeds.from) || !isSeed(seeds.to) || seeds.from > seeds.to) throw bad('seeds', 'must be { from, to } with from <= to');
  const shard = doc.shard;
  if (
    shard !== null &&
    !(
      isObj(shard) &&
      Number.isSafeInteger(shard.count) &&
      Number.isSafeInteger(shard.index) &&
      (shard.index as number) >= 1 &&
      (shard.index as number) <= (shard.count as number)
    )
  ) {
    throw bad('shard', 'must be null or { index, count } with 1 <= index <= count');
  }
  if (!Array.isArray(doc.runs)) throw bad('runs', 'must be a list');
  doc.runs.forEach((run: unknown, i) => {
    if (!isObj(run) || !isSeed(run.seed) || typeof run.ok !== 'boolean' || !VERDICTS.includes(run.verdict as Verdict))
      throw bad(`runs[${i}]`, `must have an integer seed, a boolean ok and a verdict (${VERDICTS.join(', ')})`);
    const inShard = !shard || (run.seed - (seeds.from as number)) % (shard.count as number) === (shard.index as number) - 1;
    if (run.seed < (seeds.from as number) || run.seed > (seeds.to as number) || !inShard)
      throw bad(`runs[${i}].seed`, `${run.seed} is not a seed of this report's range and shard`);
  });
  return { file, report: doc as unknown as SweepReport };
}

/** Fields every merged report must agree on. */
const SAME = ['version', 'scenario', 'mutant', 'mode', 'params'] as const;

/** A report's params but `jobs`: how many seeds ran at once changes no run, so shards may differ in it. */
const scaleOf = (params: Record<string, unknown>): Record<string, unknown> => {
  const { jobs: _, ...scale } = params;
  return scale;
};
const field = (r: SweepReport, k: (typeof SAME)[number]): unknown => (k === 'params' ? scaleOf(r.params) : r[k]);

export function mergeSweeps(parts: readonly LoadedSweep[]): SweepReport {
  const first = parts[0];
  if (!first) throw new InputError('merge: no reports given');
  const seenIn = new Map<number, string>();
  for (const { file, report } of parts) {
    for (const k of SAME) {
      if (!isDeepStrictEqual(field(report, k), field(first.report, k)))
        throw new InputError(
          `${file}: field '${k}' is ${JSON.stringify(field(report, k))}, but ${first.file} has ${JSON.stringify(field(first.report, k))}: not parts of one sweep`,
        );
    }
    for (const run of report.runs) {
      const other = seenIn.get(run.seed);
      if (other !== undefined) throw new InputError(`${file}: seed ${run.seed} is also in ${other} (overlapping reports)`);
      seenIn.set(run.seed, file);
    }
  }
  const from = Math.min(...parts.map((p) => p.report.seeds.from));
  const to = Math.max(...parts.map((p) => p.report.seeds.to));
  const missing: number[] = [];
  for (let s = from; s <= to && missing.length <= 5; s++) if (!seenIn.has(s)) missing.push(s);
  if (missing.length > 0) {
    throw new InputError(
      `merge: seed(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} of ${from}..${to} are in no report (is a shard missing?)`,
    );
  }
  const runs = parts.flatMap((p) => p.report.runs).sort((a, b) => a.seed - b.seed);
  return {
    ...first.report,
    params: scaleOf(first.report.params),
    seeds: { from, to },
    shard: null,
    ...sweepVerdict(runs),
    // The work of every part: shards usually run side by side, so this is not wall-clock time.
    durationMs: parts.reduce((a, p) => a + p.report.durationMs, 0),
    runs,
  };
}
