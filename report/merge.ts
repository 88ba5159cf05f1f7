// `merge`: join sweep reports (the shards of one sweep, or sweeps of adjacent seed ranges) into
// one report, as if one machine had run every seed. Reports that cannot belong together are
// refused: another scenario, mutant, mode, version or scale; a seed run twice; a seed of the
// joined range that no report ran (a shard is missing).
import { isDeepStrictEqual } from 'node:util';
import { InputError } from '../input/input-error.js';
import { parseJsonText, readInputFile } from '../input/read.js';
import { sweepReportInput } from '../input/report-schema.js';
import { type SweepReport, VERDICTS, sweepVerdict } from './report.js';

export interface LoadedSweep {
  readonly file: string;
  readonly report: SweepReport;
}

export function loadSweepReport(file: string): LoadedSweep {
  const doc = sweepReportInput(parseJsonText(readInputFile(file), file), file, VERDICTS);
  const bad = (field: string, what: string) => new InputError(`${file}: field '${field}': ${what}`);
  const { seeds, shard } = doc;
  if (seeds.from > seeds.to) throw bad('seeds', `must be { from, to } with from <= to (got ${seeds.from}..${seeds.to})`);
  if (shard && shard.index > shard.count) throw bad('shard', 'must be null or { index, count } with 1 <= index <= count');
  doc.runs.forEach((run, i) => {
    const inShard = !shard || (run.seed - seeds.from) % shard.count === shard.index - 1;
    if (run.seed < seeds.from || run.seed > seeds.to || !inShard) throw bad(`runs[${i}].seed`, `${run.seed} is not a seed of this report's range and shard`);
  });
  // The schema checked every field the merge and its summary read; the rest rides along.
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
