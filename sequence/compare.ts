// `compare`: one sequence file under both uAPI designs, on the same seed, step by step.
import { isDeepStrictEqual } from 'node:util';
import { UAPI_DESIGNS, type UapiDesign } from '../actors/env.js';
import type { CompareCell, CompareReport } from '../report/compare.js';
import { VERSION, type RunReport, type Verdict } from '../report/report.js';
import type { Sequence } from './file.js';
import { type SequenceRunOptions, runSequence } from './runner.js';

/** Ops whose value counts what ran meanwhile (timing, not design): only their results are compared. */
const TIMED: ReadonlySet<string> = new Set(['stop', 'enqcmd']);
const RANK: Readonly<Record<Verdict, number>> = { clean: 0, inconclusive: 1, failed: 2 };

export async function compareSequence(seq: Sequence, o: SequenceRunOptions = {}): Promise<CompareReport> {
  const runs = {} as Record<UapiDesign, RunReport>;
  // One after the other: each run has the machine's engines to itself.
  for (const d of UAPI_DESIGNS) runs[d] = await runSequence({ ...seq, machine: { ...seq.machine, uapi: d } }, o);
  const { ioasid, iommufd } = runs;
  const cellOf = (r: RunReport, i: number): CompareCell => {
    const s = r.steps?.[i];
    return s ? { result: s.result, value: s.value, expect: s.expect, met: s.met } : { result: 'not run', value: null, expect: null, met: false };
  };
  const steps = seq.steps.map((s) => {
    const a = cellOf(ioasid, s.index);
    const b = cellOf(iommufd, s.index);
    return { index: s.index, op: s.op, ioasid: a, iommufd: b, differ: a.result !== b.result || (!TIMED.has(s.op) && !isDeepStrictEqual(a.value, b.value)) };
  });
  const verdict = RANK[ioasid.verdict] >= RANK[iommufd.verdict] ? ioasid.verdict : iommufd.verdict;
  const summary = (r: RunReport) => ({
    verdict: r.verdict,
    violations: Object.values(r.violationCounts).reduce((n, c) => n + c, 0),
    violationCounts: r.violationCounts,
  });
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'compare',
    file: seq.file,
    scenario: seq.name,
    seed: ioasid.seed,
    mutant: o.mutant ?? null,
    ok: verdict === 'clean',
    verdict,
    runs: { ioasid: summary(ioasid), iommufd: summary(iommufd) },
    steps,
    differences: steps.filter((s) => s.differ).map((s) => s.index),
  };
}
