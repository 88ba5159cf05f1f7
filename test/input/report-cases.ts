// Bad reports for `replay` and `merge`: a good report with one field wrong (as a hand edit or a
// report of another tool leaves it), each with the line it must give.
import type { FileCase } from './sequence-cases.js';

const RUN = {
  tool: 'ioasid-sim',
  version: '0.1.0',
  kind: 'run',
  scenario: 'teardown-race',
  seed: 1,
  mutant: null,
  ok: true,
  verdict: 'clean',
  durationMs: 12,
  workers: 2,
  mode: 'deterministic',
  params: { durationSec: 0.05, vms: 1, devices: 1, pasids: 1 },
  schedule: { strategy: 'random', pctDepth: 3, steps: 10, pathHash: 0 },
  violations: [],
};

const RUN_OF_SWEEP = {
  seed: 1,
  ok: true,
  verdict: 'clean',
  durationMs: 7,
  counts: { dma: 1, dmaFaults: 0, enqcmd: 0, gp: 0, calls: 3, messages: 4, retries: 0 },
  coverage: { landed: 1 },
  violationCounts: {},
  violations: [],
};

const SWEEP = {
  tool: 'ioasid-sim',
  version: '0.1.0',
  kind: 'sweep',
  scenario: 'teardown-race',
  mutant: null,
  mode: 'deterministic',
  seeds: { from: 1, to: 2 },
  shard: null,
  ok: true,
  verdict: 'clean',
  durationMs: 2195,
  params: { durationSec: 0.05, vms: 1, devices: 1, pasids: 1, workers: 2 },
  runs: [RUN_OF_SWEEP, { ...RUN_OF_SWEEP, seed: 2 }],
};

const DELETE = Symbol('delete');
type Path = readonly (string | number)[];

function edited(base: object, path: Path, value: unknown): string {
  const doc = structuredClone(base) as Record<string | number, unknown>;
  let at = doc;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === DELETE) delete at[last];
  else at[last] = value;
  return JSON.stringify(doc);
}

const f = (field: string, msg: string) => new RegExp(`field '${field.replace(/[[\].]/g, '\\$&')}': ${msg}`);

/** [case name, path, value, what the line says]: each breaks a replayable run report. */
const REPLAY_EDITS: readonly [string, Path, unknown, RegExp][] = [
  ['workers 0 (was a stack trace)', ['workers'], 0, f('workers', 'must be an integer in 1\\.\\.64 \\(got 0\\)')],
  ['workers 65', ['workers'], 65, f('workers', 'must be an integer in 1\\.\\.64')],
  ['workers a string', ['workers'], '2', f('workers', 'must be an integer')],
  ['workers missing', ['workers'], DELETE, f('workers', 'missing')],
  ['durationSec 100000 (was a hang)', ['params', 'durationSec'], 100000, f('params.durationSec', 'must be a number greater than 0 and at most 86400')],
  ['durationSec 0', ['params', 'durationSec'], 0, f('params.durationSec', 'must be a number greater than 0')],
  ['durationSec negative', ['params', 'durationSec'], -1, f('params.durationSec', 'must be a number greater than 0')],
  ['durationSec a string', ['params', 'durationSec'], '0.05', f('params.durationSec', 'must be a number')],
  ['vms 9', ['params', 'vms'], 9, f('params.vms', 'must be an integer in 1\\.\\.8')],
  ['devices 0', ['params', 'devices'], 0, f('params.devices', 'must be an integer in 1\\.\\.8')],
  ['pasids 65', ['params', 'pasids'], 65, f('params.pasids', 'must be an integer in 1\\.\\.64')],
  ['keepGoing not a boolean', ['params', 'keepGoing'], 'yes', f('params.keepGoing', 'must be true or false')],
  ['a param no run flag sets', ['params', 'colour'], 'red', f('params.colour', 'unknown field')],
  ['seed negative', ['seed'], -1, f('seed', 'must be an integer in 0\\.\\.4294967295')],
  ['seed beyond 32 bits', ['seed'], 4294967296, f('seed', 'must be an integer in 0\\.\\.4294967295')],
  ['seed a fraction', ['seed'], 1.5, f('seed', 'must be an integer')],
  ['seed a string', ['seed'], '1', f('seed', 'must be an integer')],
  ['unknown strategy', ['schedule', 'strategy'], 'dfs', f('schedule.strategy', 'unknown strategy "dfs"')],
  ['strategy a number', ['schedule', 'strategy'], 1, f('schedule.strategy', 'must be random or pct')],
  ['pctDepth 0', ['schedule', 'pctDepth'], 0, f('schedule.pctDepth', 'must be an integer in 1\\.\\.64')],
  ['pctDepth 65', ['schedule', 'pctDepth'], 65, f('schedule.pctDepth', 'must be an integer in 1\\.\\.64')],
  ['pctDepth a fraction', ['schedule', 'pctDepth'], 2.5, f('schedule.pctDepth', 'must be an integer')],
  ['schedule not a mapping', ['schedule'], 'random', f('schedule', 'must be a mapping')],
  ['unknown mutant', ['mutant'], 'skip-everything', f('mutant', 'unknown mutant "skip-everything"')],
  ['mutant a number', ['mutant'], 3, f('mutant', 'must be')],
  ['unknown scenario', ['scenario'], 'no-such', f('scenario', 'unknown scenario "no-such"')],
  ['scenario missing', ['scenario'], DELETE, f('scenario', 'missing')],
  ['kind sweep', ['kind'], 'sweep', f('kind', 'must be "run" or "seq"')],
  ['kind missing', ['kind'], DELETE, f('kind', 'missing')],
  ['tool of another program', ['tool'], 'other-sim', f('tool', 'not an ioasid-sim run or seq report')],
  ['tool missing', ['tool'], DELETE, f('tool', 'not an ioasid-sim run or seq report')],
  ['mode unknown', ['mode'], 'fast', f('mode', 'must be threads or deterministic')],
  ['violations not a list', ['violations'], {}, f('violations', 'must be a list')],
  ['a violation without its invariant', ['violations'], [{ at: 3 }], f('violations[0].invariant', 'missing')],
  ['a violation at a negative step', ['violations'], [{ invariant: 'use-after-free', at: -3 }], f('violations[0].at', 'must be an integer')],
  ['a seq report without its file', ['kind'], 'seq', f('file', 'missing')],
];

/** [case name, path, value, what the line says]: each breaks a sweep report given to merge. */
const MERGE_EDITS: readonly [string, Path, unknown, RegExp][] = [
  ['durationMs not a number (was merged as "2195x")', ['durationMs'], '2195x', f('durationMs', 'must be a number')],
  ['durationMs negative', ['durationMs'], -1, f('durationMs', 'must be a number at least 0')],
  ["a run's durationMs a string", ['runs', 0, 'durationMs'], '7', f('runs[0].durationMs', 'must be a number')],
  ["a run's counts.dma a string", ['runs', 0, 'counts', 'dma'], 'x', f('runs[0].counts.dma', 'must be an integer')],
  ["a run's counts.calls missing", ['runs', 0, 'counts', 'calls'], DELETE, f('runs[0].counts.calls', 'missing')],
  ["a run's counts negative", ['runs', 0, 'counts', 'retries'], -2, f('runs[0].counts.retries', 'must be an integer in 0')],
  ["a run's violationCounts a string", ['runs', 0, 'violationCounts'], { uaf: 'x' }, f('runs[0].violationCounts.uaf', 'must be an integer')],
  ["a run's coverage a fraction", ['runs', 0, 'coverage', 'landed'], 0.5, f('runs[0].coverage.landed', 'must be an integer')],
  ["a run's verdict unknown", ['runs', 0, 'verdict'], 'fine', f('runs[0].verdict', 'must be clean or inconclusive or failed')],
  ["a run's ok a string", ['runs', 0, 'ok'], 'yes', f('runs[0].ok', 'must be true or false')],
  ["a run's seed a string", ['runs', 0, 'seed'], '1', f('runs[0].seed', 'must be an integer')],
  ['a run outside the range', ['runs', 0, 'seed'], 9, f('runs[0].seed', '9 is not a seed of this report')],
  ['runs not a list', ['runs'], {}, f('runs', 'must be a list')],
  ['runs missing', ['runs'], DELETE, f('runs', 'missing')],
  ['seeds from > to', ['seeds'], { from: 5, to: 2 }, f('seeds', 'must be \\{ from, to \\} with from <= to')],
  ['seeds from negative', ['seeds', 'from'], -1, f('seeds.from', 'must be an integer in 0\\.\\.4294967295')],
  ['shard 0/2', ['shard'], { index: 0, count: 2 }, f('shard.index', 'must be an integer in 1\\.\\.')],
  ['shard 3/2', ['shard'], { index: 3, count: 2 }, f('shard', 'must be null or \\{ index, count \\} with 1 <= index <= count')],
  ['kind run', ['kind'], 'run', f('kind', 'is "run", only sweep reports can be merged')],
  ['tool of another program', ['tool'], 'x', f('tool', 'not an ioasid-sim report')],
  ['verdict unknown', ['verdict'], 'meh', f('verdict', 'must be clean or inconclusive or failed')],
  ['params.workers 0', ['params', 'workers'], 0, f('params.workers', 'must be an integer in 1\\.\\.64')],
  ['params.durationSec 100000', ['params', 'durationSec'], 100000, f('params.durationSec', 'must be a number greater than 0 and at most 86400')],
  ['version a number', ['version'], 1, f('version', 'must be a string')],
  ['mode unknown', ['mode'], 'fast', f('mode', 'must be threads or deterministic')],
];

export const REPLAY_CASES: readonly FileCase[] = [
  ...REPLAY_EDITS.map(([name, path, value, line], i): FileCase => ({ name, file: `replay-${i}.json`, content: edited(RUN, path, value), line })),
  { name: 'a report that is not JSON', file: 'replay-text.json', content: 'ok: true\n', line: /JSON syntax error/ },
  { name: 'a report that is a list', file: 'replay-list.json', content: '[]', line: /not an ioasid-sim run or seq report/ },
  {
    name: 'a report nested too deep',
    file: 'replay-deep.json',
    content: `{"tool":"ioasid-sim","x":${'['.repeat(100)}${']'.repeat(100)}}`,
    line: /nested more than 64/,
  },
  { name: 'a report that is a FIFO', file: 'replay-pipe.json', content: 'fifo', line: /not a regular file/ },
];

export const MERGE_CASES: readonly FileCase[] = [
  ...MERGE_EDITS.map(([name, path, value, line], i): FileCase => ({ name, file: `merge-${i}.json`, content: edited(SWEEP, path, value), line })),
  { name: 'a sweep report that is not JSON', file: 'merge-text.json', content: '{', line: /JSON syntax error/ },
];
