// The compare report: one sequence file run under both uAPI designs (docs/iommufd.md), step by
// step side by side, with where they differ. `ioasid-sim compare FILE [--json]` prints it.
import type { UapiDesign } from '../actors/env.js';
import type { RunReport, StepReport, Verdict } from './report.js';
import { compact } from './summary.js';
import { type Cell, formatTable } from './text-table.js';

/** One step as one design answered it. */
export type CompareCell = Pick<StepReport, 'result' | 'value' | 'expect' | 'met'>;

export interface CompareStep {
  readonly index: number;
  readonly op: string;
  readonly ioasid: CompareCell;
  readonly iommufd: CompareCell;
  /** The designs answered with another result or value. */
  readonly differ: boolean;
}

export interface CompareReport {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'compare';
  readonly file: string;
  readonly scenario: string;
  readonly seed: number;
  readonly mutant: string | null;
  /** True only when both runs are clean (every expectation met, no violation). */
  readonly ok: boolean;
  readonly verdict: Verdict;
  /** Each design's run: its verdict and how many violations it saw. */
  readonly runs: Readonly<Record<UapiDesign, Pick<RunReport, 'verdict' | 'violationCounts'> & { readonly violations: number }>>;
  readonly steps: readonly CompareStep[];
  /** Indexes of the steps where the designs differ. */
  readonly differences: readonly number[];
}

const cell = (c: CompareCell): Cell => `${c.result}${c.value === null ? '' : ` ${compact(c.value)}`}${c.met ? '' : ' (unmet)'}`;

export function formatCompare(r: CompareReport): string {
  const rows = r.steps.map((s) => [s.index, s.op, cell(s.ioasid), cell(s.iommufd), s.differ ? 'DIFFER' : '']);
  const verdicts = (['ioasid', 'iommufd'] as const).map((d) => `${d}: ${r.runs[d].verdict}, ${r.runs[d].violations} violation(s)`).join('; ');
  return [
    `ioasid-sim ${r.version} | compare ${r.file} (${r.scenario}) | seed ${r.seed} | mutant ${r.mutant ?? 'none'}`,
    '',
    formatTable(['step', 'op', 'ioasid', 'iommufd', ''], rows, [0]),
    '',
    r.differences.length ? `the designs differ at ${r.differences.length} step(s): ${r.differences.join(', ')}` : 'the designs agree at every step',
    `runs: ${verdicts}`,
    `result: ${r.ok ? 'both designs clean' : 'not clean under both designs'} (exit ${r.ok ? 0 : r.verdict === 'inconclusive' ? 3 : 1})`,
  ].join('\n');
}
