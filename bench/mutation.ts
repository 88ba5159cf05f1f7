// `npm run mutation`: runs StrykerJS (stryker.config.mjs; extra arguments go to `stryker run`,
// e.g. `-- --mutate hardware/pgtable.ts`), times it, and writes bench/mutation.json from its JSON
// report (reports/mutation/mutation.json): the counts by status, the mutants triaged as
// equivalent in docs/mutation-triage.md, and the score with and without them. The unit cases
// (test/hunt/tables.hunt.ts) call hardware/'s functions directly, not through the checker, so
// they run last and the checker's own score counts only the mutants a case before them killed.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  /** The tests that failed on the mutant: Stryker stops at the first (the hunt's order). */
  readonly killedBy?: readonly string[];
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>;
  readonly testFiles?: Record<string, { readonly tests: readonly { readonly id: string }[] }>;
}
/** The hunt's unit cases: hardware functions called directly, the checker not involved. */
const UNIT_CASES = 'dist/test/hunt/tables.hunt.js';

/** A triage row's key: file:line:col, mutator and replacement (several mutants share a place). */
const keyOf = (file: string, line: number, col: number, mutator: string, replacement: string) => `${file}:${line}:${col} ${mutator} ${replacement}`;

/**
 * The equivalent mutants of docs/mutation-triage.md: rows of its tables whose first cell is
 * `file:line:col`, then the mutator, then the replacement in a code span (`|` escaped as `\|`).
 */
function equivalents(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const at = /^`([\w/.-]+\.ts):(\d+):(\d+)`$/.exec(cells[0] ?? '');
    const replacement = /^`(.*)`$/.exec(cells[2] ?? '');
    if (at && replacement && cells[1]) keys.add(keyOf(at[1]!, Number(at[2]), Number(at[3]), cells[1], replacement[1]!.replaceAll('\\|', '|')));
  }
  return keys;
}

const started = performance.now();
const stryker = spawnSync(root('node_modules/.bin/stryker'), ['run', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root('.') });
const durationSec = Math.round((performance.now() - started) / 1000);
if (stryker.status !== 0) {
  process.stderr.write(`mutation: stryker exited ${stryker.status ?? stryker.signal}\n`);
  process.exit(1);
}

const report = JSON.parse(readFileSync(root('reports/mutation/mutation.json'), 'utf8')) as Report;
const equivalent = equivalents(readFileSync(root('docs/mutation-triage.md'), 'utf8'));
const counts: Record<string, number> = {};
const survivors: string[] = [];
let equivalentCount = 0;
const matched = new Set<string>();
const unitTests = new Set((report.testFiles?.[UNIT_CASES]?.tests ?? []).map((t) => t.id));
/** Killed only by a unit case: every case before it (the checker's) passed on the mutant. */
let killedByUnitCases = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const m of mutants) {
    const { line, column } = m.location.start;
    const key = keyOf(file, line, column, m.mutatorName, m.replacement ?? '');
    if ((m.status === 'Survived' || m.status === 'NoCoverage') && equivalent.has(key)) {
      equivalentCount++;
      matched.add(key);
      continue;
    }
    counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (m.status === 'Killed' && (m.killedBy ?? []).length > 0 && m.killedBy!.every((t) => unitTests.has(t))) killedByUnitCases++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') survivors.push(`${m.status} ${key}`);
  }
}
const n = (s: string) => counts[s] ?? 0;
const detected = n('Killed') + n('Timeout');
const valid = detected + n('Survived') + n('NoCoverage');
const pct = (a: number, b: number) => (b === 0 ? 100 : Math.round((1000 * a) / b) / 10);
const config = (await import(root('stryker.config.mjs'))) as { default: { mutate: string[] } };
const summary = {
  killed: n('Killed'),
  survived: n('Survived'),
  timedOut: n('Timeout'),
  noCoverage: n('NoCoverage'),
  equivalent: equivalentCount,
  compileErrors: n('CompileError'),
  runtimeErrors: n('RuntimeError'),
  /** Stryker's own score: detected over every valid mutant, equivalents counted as survivors. */
  score: pct(detected, valid + equivalentCount),
  /** The target: detected over the mutants not triaged as equivalent. */
  scoreExcludingEquivalent: pct(detected, valid),
  /**
   * The checker's own share: detected before the unit cases ran (scenarios, sequence files,
   * fail-nth and the limits case judged by the auditor), over the non-equivalent mutants. A
   * timeout counts here: the unit cases come last and end within milliseconds.
   */
  killedByUnitCases,
  checkerScoreExcludingEquivalent: pct(detected - killedByUnitCases, valid),
  durationSec,
  mutate: process.argv.includes('--mutate') ? process.argv[process.argv.indexOf('--mutate') + 1]!.split(',') : config.default.mutate,
  /** Triage rows that matched no surviving mutant (the code moved: the row needs updating). */
  staleTriage: [...equivalent].filter((k) => !matched.has(k)),
  survivors,
};
writeFileSync(root('bench/mutation.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(
  `mutation: ${summary.killed} killed, ${summary.timedOut} timed out, ${summary.survived} survived, ${summary.noCoverage} no coverage, ${summary.equivalent} equivalent; score ${summary.scoreExcludingEquivalent}% of non-equivalent (${summary.score}% overall; the checker alone, without the ${killedByUnitCases} only the unit cases killed: ${summary.checkerScoreExcludingEquivalent}%) in ${durationSec} s\n`,
);
