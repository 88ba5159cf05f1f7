// `npm run bench`: every issue-8 section in turn, each figure against a baseline measured in the
// same run; writes bench/results.json (or --out FILE) and prints the table. `--quick` (or
// BENCH_QUICK=1) runs every section briefly, with the whole-space check on a 14-bit space;
// `--only sweep` (names comma-separated) runs just those sections.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../report/report.js';
import { benchDeterministic } from './deterministic.js';
import { benchDma } from './dma.js';
import { benchEnqcmd } from './enqcmd.js';
import { benchMutants } from './mutants.js';
import type { BenchResults, Section } from './result.js';
import { benchPasidSpace, benchWorkers } from './scaling.js';
import { benchSweep } from './sweep.js';
import { renderTable } from './table.js';
import { benchTeardown } from './teardown.js';
import { benchUapi } from './uapi.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const outAt = argv.indexOf('--out');
const out = outAt >= 0 && argv[outAt + 1] ? argv[outAt + 1]! : fileURLToPath(new URL('../../bench/results.json', import.meta.url));

const plan: Array<[string, () => Promise<Section>]> = [
  ['uapi', () => benchUapi(quick ? { rounds: 2, roundMs: 100, concurrency: 8 } : { rounds: 15, roundMs: 250, concurrency: 16 })],
  ['dma', () => benchDma(quick ? { rounds: 2, roundMs: 60 } : { rounds: 9, roundMs: 300 })],
  ['enqcmd', () => benchEnqcmd(quick ? { rounds: 2, roundMs: 60 } : { rounds: 9, roundMs: 300 })],
  ['teardown', () => benchTeardown({ reps: quick ? 20 : 300 })],
  ['scaling-workers', () => benchWorkers(quick ? { rounds: 2, roundMs: 60 } : { rounds: 7, roundMs: 300 })],
  ['scaling-pasids', () => benchPasidSpace(quick ? { sizes: [16_383], bits: 14 } : { sizes: [100, 1000, 10_000, 100_000, 1_048_575], bits: 20 })],
  ['mutants', () => benchMutants({ seeds: quick ? 3 : 20 })],
  ['deterministic', () => benchDeterministic(quick ? { rounds: 2, steps: 20_000, scenarioSec: 0.01 } : { rounds: 9, steps: 200_000, scenarioSec: 0.05 })],
  ['sweep', () => benchSweep(quick ? { rounds: 1, seeds: 4, cliSeeds: 4, seedSec: 0.005 } : { rounds: 2, seeds: 100, cliSeeds: 200, seedSec: 0.03 })],
];
// `--only NAME[,NAME]`: those sections alone (their results.json holds only them).
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : null;

const started = new Date();
const t0 = performance.now();
const sections: Section[] = [];
for (const [name, run] of plan.filter(([name]) => !only || only.has(name))) {
  const t = performance.now();
  process.stderr.write(`bench: ${name} ...`);
  sections.push(await run());
  process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}
const results: BenchResults = {
  tool: 'ioasid-sim-bench',
  version: VERSION,
  quick,
  startedAt: started.toISOString(),
  durationSec: (performance.now() - t0) / 1000,
  machine: { node: process.versions.node, cpus: os.availableParallelism(), totalMemGiB: os.totalmem() / 2 ** 30 },
  sections,
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${renderTable(results)}\nresults: ${out}\n`);
