// The reports the CLI reads back (docs/reports.md): a run or seq report for `replay`, sweep
// reports for `merge`. Every field they use is checked against the bounds the CLI's own flags
// have, so a hand-edited report is refused with one line instead of hanging a replay
// (`durationSec: 100000`), crashing it (`workers: 0`) or leaking into a merged report
// (`durationMs: "2195x"`). The names (scenarios, mutants, strategies, verdicts) live in higher
// layers: the caller passes them in. Fields a newer version may add are let through.
import * as v from 'valibot';
import { DURATION_MAX_SEC, JOBS_MAX, SCALE_LIMITS, SEED_MAX, SWEEP_MAX_SEEDS, UAPI_DESIGN_NAMES, WORKERS_MAX } from './limits.js';
import { bool, intIn, list, mapping, mappingMessage, numberIn, oneOf, parseWith, record, shown, text } from './schema.js';

type Words = readonly [string, ...string[]];
export interface ReportNames {
  readonly scenarios: Words;
  readonly mutants: Words;
  readonly strategies: Words;
}

/** What the CLI's --vms, --devices and --pasids accept, and so what a report's params may say. */

const MODES = ['threads', 'deterministic'] as const;
const BIG = Number.MAX_SAFE_INTEGER;
const seed = () => intIn(0, SEED_MAX);
const count = () => intIn(0, BIG);
const ms = () => numberIn(0, BIG);
/** Is it a report of this tool at all? Said so whether `tool` is missing, wrong, or no mapping holds it. */
const tool = (what: string) => {
  const m = `not an ioasid-sim ${what}`;
  return v.looseObject({ tool: v.literal('ioasid-sim', m) }, m);
};

/** A run's scale, as `run` records it in `params` (its workers are the report's own field). */
const scale = {
  durationSec: numberIn(0, DURATION_MAX_SEC, true),
  vms: intIn(1, SCALE_LIMITS.vms),
  devices: intIn(1, SCALE_LIMITS.devices),
  pasids: intIn(1, SCALE_LIMITS.pasids),
  keepGoing: v.optional(bool()),
  uapi: v.optional(oneOf(UAPI_DESIGN_NAMES)),
};

const violation = record({
  invariant: text(),
  detail: v.optional(text()),
  step: v.optional(v.nullable(count())),
  at: v.optional(count()),
});

/** A `run` or `seq` report, as replay reads it: its kind first, so that each kind's fields are named. */
export function runReportInput(doc: unknown, file: string, n: ReportNames) {
  parseWith(tool('run or seq report'), doc, file);
  const { kind } = parseWith(
    record({ kind: v.picklist(['run', 'seq'], (i) => `must be "run" or "seq": replay re-runs run and seq reports (got ${shown(i.input)})`) }),
    doc,
    file,
  );
  // In the order a person reads a report; the first bad field is the one named.
  const common = {
    seed: seed(),
    mutant: v.nullable(oneOf(n.mutants, 'mutant')),
    mode: oneOf(MODES),
    schedule: v.optional(
      record({
        strategy: oneOf(n.strategies, 'strategy'),
        pctDepth: intIn(1, SCALE_LIMITS.pctDepth),
        steps: count(),
        pathHash: intIn(-(2 ** 31), 2 ** 32 - 1),
      }),
    ),
    workers: intIn(1, WORKERS_MAX),
    violations: list(violation, 0, BIG),
  };
  return kind === 'run'
    ? parseWith(record({ kind: v.literal('run'), scenario: oneOf(n.scenarios, 'scenario'), ...common, params: v.optional(mapping(scale)) }), doc, file)
    : parseWith(record({ kind: v.literal('seq'), scenario: v.optional(text()), file: text(), ...common }), doc, file);
}

/** A `sweep` report, as merge reads it. */
export function sweepReportInput(doc: unknown, file: string, verdicts: Words) {
  const run = record({
    seed: seed(),
    ok: bool(),
    verdict: oneOf(verdicts),
    inconclusive: v.optional(v.array(text())),
    durationMs: ms(),
    counts: v.objectWithRest({ dma: count(), calls: count() }, count(), mappingMessage([])),
    coverage: v.record(v.string(), count()),
    violationCounts: v.record(v.string(), count()),
    violations: v.array(violation),
    error: v.optional(text()),
  });
  parseWith(tool('report'), doc, file);
  const schema = record({
    tool: v.literal('ioasid-sim'),
    version: text(),
    kind: v.literal('sweep', (i) => `is ${shown(i.input)}, only sweep reports can be merged`),
    scenario: text(),
    mutant: v.nullable(text()),
    mode: oneOf(MODES),
    seeds: mapping({ from: seed(), to: seed() }),
    // `source`: where --shard auto read the shard (merge neither needs nor trusts it).
    shard: v.nullable(mapping({ index: intIn(1, 1 << 20), count: intIn(1, 1 << 20), source: v.optional(v.unknown()) })),
    ok: bool(),
    verdict: oneOf(verdicts),
    durationMs: ms(),
    params: mapping({ ...scale, workers: intIn(1, WORKERS_MAX), jobs: v.optional(intIn(1, JOBS_MAX)) }),
    runs: list(run, 0, SWEEP_MAX_SEEDS),
  });
  return parseWith(schema, doc, file);
}
