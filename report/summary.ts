// The human summary of a run, sequence or sweep: what ran, what it did (counts and rates), how
// its calls answered, which invariants broke (with their meaning) and the verdict. The JSON
// report carries the same facts for machines.
import { INVARIANTS, type InvariantId, type Violation } from '../invariants/catalog.js';
import type { Coverage, CoverageKey } from '../hardware/coverage.js';
import type { ReportCounts, RunReport, StepReport, SweepReport, Verdict } from './report.js';
import { type Cell, formatTable, humanCount } from './text-table.js';

const COUNT_LABELS: Record<keyof ReportCounts, string> = {
  dma: 'DMA accesses',
  dmaFaults: '  of which faulted',
  enqcmd: 'ENQCMD accepted',
  retries: 'ENQCMD retries',
  gp: '#GP raised',
  calls: 'uAPI calls',
  messages: 'actor messages',
};
const COVERAGE_LABELS: Record<CoverageKey, string> = {
  teardowns: 'PASID-entry teardowns begun',
  teardownsWithDmaInFlight: '  with DMA in flight',
  teardownsWithEnqcmdInFlight: '  with ENQCMD descriptors in flight',
  kvmClears: 'KVM_CLEAR_PASID teardowns begun',
  kvmClearsWithEnqcmdInFlight: '  with ENQCMD descriptors in flight',
  unmaps: 'UNMAPs begun',
  unmapsWithDmaInFlight: '  with DMA in flight',
  teardownsWithPageRequests: 'teardowns with page requests pending',
  pageRequests: 'page requests queued (PRI)',
  multiPageGroups: '  groups of several pages',
  pageResponses: 'page requests answered',
  lateResponses: '  responses after a teardown answered them',
  guestPageResponses: '  answered by the guest vIOMMU',
  teardownCallsRaced: 'teardown calls racing another on one IOASID',
  landed: 'accesses landed',
  faulted: 'accesses faulted',
  accepted: 'ENQCMD descriptors accepted',
};
/** Violations shown in full per invariant; the rest are only counted. */
const DETAILS_PER_INVARIANT = 3;

const RESULT_WORD: Record<Verdict, string> = { clean: 'clean', inconclusive: 'INCONCLUSIVE', failed: 'FAILED' };

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const meaning = (id: string) => INVARIANTS[id as InvariantId] ?? '(unknown invariant)';

/** `verdict: false` leaves out the closing `result:` line, for a run another verdict frames (replay). */
export function formatRunSummary(r: RunReport, o: { verdict?: boolean } = {}): string {
  // A sequence's scenario is its `name:`, or its file name when it has none.
  const what = r.kind === 'run' ? `run ${r.scenario}` : r.file && r.file !== r.scenario ? `seq ${r.file} (${r.scenario})` : `seq ${r.scenario}`;
  const out = [
    `ioasid-sim ${r.version} | ${what} | seed ${r.seed} | mutant ${r.mutant ?? 'none'} | mode ${r.mode}${r.schedule ? ` (${r.schedule.strategy}${r.schedule.strategy === 'pct' ? `, depth ${r.schedule.pctDepth}` : ''}, ${r.schedule.steps} steps)` : ''} | ${r.workers} ${r.mode === 'threads' ? 'worker threads' : 'engines stepped on the main thread'}`,
  ];
  if (r.params)
    out.push(
      `params: ${Object.entries(r.params)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  out.push(`took ${seconds(r.durationMs)}`, '', countsTable(r.counts, r.durationMs), '', coverageTable(r.coverage, r.races ?? []), '');
  const calls = outcomesTable(r.outcomes);
  if (calls) out.push('calls by outcome:', calls, '');
  if (r.steps) out.push(stepsSection(r.steps), '');
  out.push(violationsSection(r.violationCounts, r.violations));
  if (r.error) out.push(`ERROR: ${r.error}`);
  if (o.verdict !== false) out.push(verdict(r));
  return out.join('\n');
}

function countsTable(c: ReportCounts, durationMs: number): string {
  const secs = Math.max(durationMs, 1) / 1000;
  const rows = (Object.keys(COUNT_LABELS) as (keyof ReportCounts)[])
    .filter((k) => c[k] > 0 || k === 'dma' || k === 'calls')
    .map((k): Cell[] => [COUNT_LABELS[k], c[k], `${humanCount(c[k] / secs)}/s`]);
  return formatTable(['count', 'total', 'rate'], rows, [2]);
}

/** What the run raced; `races` (a scenario's) are marked raced or NOT RACED. */
function coverageTable(c: Coverage, races: readonly CoverageKey[]): string {
  const rows = (Object.keys(COVERAGE_LABELS) as CoverageKey[]).map((k): Cell[] => [
    COVERAGE_LABELS[k],
    c[k],
    races.includes(k) ? (c[k] > 0 ? 'raced' : 'NOT RACED') : '',
  ]);
  return formatTable(['coverage (as the hardware saw it)', 'count', races.length ? 'the scenario races' : ''], rows, [1]);
}

function outcomesTable(o: RunReport['outcomes']): string | null {
  const ops = Object.keys(o).sort();
  if (ops.length === 0) return null;
  const rows = ops.map((op): Cell[] => {
    const { ok = 0, ...errs } = o[op]!;
    const errors = Object.entries(errs)
      .sort(([, a], [, b]) => b - a)
      .map(([e, n]) => `${e} ${n}`)
      .join(', ');
    return [op, ok, errors || '-'];
  });
  return formatTable(['op', 'ok', 'errors'], rows);
}

/** A step value in a table cell: counts objects show their nonzero counts (`landed=20000`). */
export const compact = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  let s: string;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v);
    const nonzero = entries.filter(([, x]) => x !== 0);
    s = (nonzero.length ? nonzero : entries.slice(0, 2)).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(' ');
  } else s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
};

const expectation = (s: StepReport) => [s.expect, 'expectValue' in s ? `value ${compact(s.expectValue)}` : null].filter((x) => x !== null).join(', ') || '-';

function stepsSection(steps: readonly StepReport[]): string {
  const rows = steps.map((s): Cell[] => [
    s.index,
    s.op,
    s.result,
    compact(s.value),
    expectation(s),
    s.met ? (s.inconclusive ? 'INCONCLUSIVE' : '') : 'UNMET',
    s.message ?? '',
  ]);
  const lines = ['steps:', formatTable(['step', 'op', 'result', 'value', 'expect', 'met', 'message'], rows)];
  const unmet = steps.filter((s) => !s.met);
  for (const s of unmet) {
    lines.push(
      `  step ${s.index} ${s.op}: expected ${expectation(s)}, got ${s.result}${s.result === 'ok' ? ` with value ${compact(s.value)}` : ''}${s.message ? ` (${s.message})` : ''}`,
    );
  }
  for (const s of steps) if (s.inconclusive) lines.push(`  step ${s.index} ${s.op}: INCONCLUSIVE, ${s.inconclusive}`);
  lines.push(
    unmet.length === 0 ? `  every expectation met (${steps.length} steps)` : `  ${unmet.length} of ${steps.length} steps did not meet their expectation`,
  );
  return lines.join('\n');
}

function violationsSection(counts: Record<string, number>, list: readonly Violation[]): string {
  const ids = Object.keys(counts).sort((a, b) => counts[b]! - counts[a]!);
  if (ids.length === 0) return 'violations: none';
  const total = ids.reduce((a, id) => a + counts[id]!, 0);
  const lines = [
    `violations: ${total} across ${ids.length} invariant(s)`,
    formatTable(
      ['invariant', 'count', 'meaning'],
      ids.map((id) => [id, counts[id]!, meaning(id)]),
    ),
  ];
  for (const id of ids) {
    for (const v of list.filter((x) => x.invariant === id).slice(0, DETAILS_PER_INVARIANT)) {
      lines.push(`  - ${id}${v.step !== null ? ` (step ${v.step})` : ''}: ${v.detail}`);
    }
  }
  return lines.join('\n');
}

function verdict(r: RunReport): string {
  if (r.verdict === 'clean')
    return r.steps
      ? 'result: CLEAN, no violation and every expectation met (exit 0)'
      : 'result: CLEAN, no violation, and it raced what it exists to race (exit 0)';
  if (r.verdict === 'inconclusive') return `result: INCONCLUSIVE, no violation, but ${(r.inconclusive ?? []).join('; ')} (exit 3)`;
  const why = [
    Object.keys(r.violationCounts).length ? 'invariant violations' : null,
    r.steps?.some((s) => !s.met) ? 'unmet expectations' : null,
    r.error ? 'the run failed' : null,
  ].filter((x) => x !== null);
  return `result: FAILED, ${why.join(' and ')} (exit 1)`;
}

export function formatSweepSummary(r: SweepReport): string {
  const from = r.shard?.source
    ? ` (${r.shard.source.scheduler}: ${Object.entries(r.shard.source.variables)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}${r.shard.source.count === 'flag' ? ', count from auto/N' : ''})`
    : '';
  const shard = r.shard ? ` | shard ${r.shard.index}/${r.shard.count}${from}` : '';
  const out = [
    `ioasid-sim ${r.version} | sweep ${r.scenario} | seeds ${r.seeds.from}..${r.seeds.to}${shard} | mutant ${r.mutant ?? 'none'} | mode ${r.mode}`,
    `params: ${Object.entries(r.params)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  ];
  const rows = r.runs.map((run): Cell[] => [
    run.seed,
    RESULT_WORD[run.verdict],
    run.durationMs,
    run.counts.dma,
    run.counts.calls,
    run.error
      ? `error: ${run.error}`
      : Object.entries(run.violationCounts)
          .map(([id, n]) => `${id} x${n}`)
          .join(', ') ||
        (run.inconclusive ?? []).join('; ') ||
        '-',
  ]);
  out.push(formatTable(['seed', 'result', 'ms', 'dma', 'calls', 'violations (or what did not happen)'], rows), '');
  const counts: Record<string, number> = {};
  for (const run of r.runs) for (const [id, n] of Object.entries(run.violationCounts)) counts[id] = (counts[id] ?? 0) + n;
  out.push(
    violationsSection(
      counts,
      r.runs.flatMap((run) => run.violations.map((v) => ({ ...v, detail: `seed ${run.seed}: ${v.detail}` }))),
    ),
    '',
  );
  const seeds = (v: Verdict) => r.runs.filter((x) => x.verdict === v).map((x) => x.seed);
  out.push(
    `${r.runs.length} seed(s) in ${seconds(r.durationMs)}: ${seeds('clean').length} clean, ${seeds('inconclusive').length} inconclusive, ${seeds('failed').length} failed`,
  );
  if (r.verdict === 'clean') out.push('result: CLEAN, every seed clean (exit 0)');
  else if (r.verdict === 'inconclusive')
    out.push(`result: INCONCLUSIVE, seed(s) ${seeds('inconclusive').join(', ')} raced nothing they exist to race (exit 3)`);
  else out.push(`result: FAILED, seed(s) ${seeds('failed').join(', ')} (exit 1)`);
  return out.join('\n');
}
