// The `ioasid-sim` command line (README, "The CLI"; docs/reports.md): run, seq, sweep, replay, shrink, failnth, merge, list.
// Commander parses; each action checks what commander cannot, opens its output files, runs,
// prints the summary or exactly one JSON document on stdout, then writes the output files, and
// yields the exit code: 0 clean, 1 a violation, an unmet expectation or a failed run, 2 bad
// input, 3 inconclusive (clean, but what the run exists to race never happened). Bad input of any kind, commander's own errors included, is one line on stderr naming
// the flag, file, step or field, never a stack trace.
import { Command, CommanderError } from 'commander';
import type { MutantName } from '../actors/env.js';
import { UAPI_DESIGNS, type UapiDesign } from '../actors/env.js';
import { SCENARIOS, SCENARIO_BY_NAME } from '../scenarios/builtins.js';
import { type ShardFlag, intIn, oneOf, parseDuration, parseMutant, parseSeed, parseSeedRange, parseShard } from './flags.js';
import { InputError } from '../input/input-error.js';
import { JOBS_MAX, SCALE_LIMITS, WORKERS_MAX } from '../input/limits.js';
import { failNth, failNthSummary } from '../explore/failnth.js';
import { type ReplayOutcome, replay, replayableReport } from '../explore/replay.js';
import { DEFAULT_SHRINK_BUDGET, type ShrinkOutcome, shrink, shrinkableReport } from '../explore/shrink.js';
import { parseJsonText, readInputFile } from '../input/read.js';
import { commandLineOf } from './command-line.js';
import { formatListing, listing } from './listing.js';
import { loadSweepReport, mergeSweeps } from '../report/merge.js';
import { DEFAULT_PCT_DEPTH, MODES, type ModeFlags, type ModeName, resolveMode } from './modes.js';
import { STRATEGIES } from '../sim/strategies/index.js';
import { type InputFile, type OutputFlags, type RunOutputs, openOutputs, openProductFile } from './outputs.js';
import { progressBar } from './progress.js';
import { flushStdout, guardStdio, log, out, stdoutFailure } from './stdio.js';
import { type RunReport, type SweepReport, VERSION, type Verdict } from '../report/report.js';
import { DEFAULT_DURATION_SEC, DEFAULT_PARAMS, type Scenario, type ScenarioParams, runScenario } from '../scenarios/scenario.js';
import { loadSequenceFile } from '../sequence/file.js';
import { runSequence } from '../sequence/runner.js';
import { compareSequence } from '../sequence/compare.js';
import { formatCompare } from '../report/compare.js';
import { formatRunSummary, formatSweepSummary } from '../report/summary.js';
import { type SeedRange, type Shard, runSweep, shardSeeds } from '../explore/sweep.js';
import { shardFromEnv } from '../explore/shard-env.js';
import { availableParallelism } from 'node:os';

/** A sweep runs many seeds: each is short unless --duration says otherwise (virtual seconds in deterministic mode). */
const SWEEP_DEFAULT_DURATION_SEC = { threads: 2, deterministic: DEFAULT_DURATION_SEC.deterministic } as const;

interface ScaleFlags {
  seed?: number;
  duration?: number;
  vms?: number;
  devices?: number;
  pasids?: number;
  workers?: number;
  uapi?: UapiDesign;
}
interface CommonFlags extends ModeFlags {
  mutant?: MutantName;
  json?: boolean;
}
type RunFlags = ScaleFlags & CommonFlags & OutputFlags;
type SeqFlags = Pick<ScaleFlags, 'seed'> & CommonFlags & OutputFlags;
type SweepFlags = Omit<ScaleFlags, 'seed'> & CommonFlags & { seeds: SeedRange; shard?: ShardFlag; jobs?: number };

/** 0 clean, 3 inconclusive (nothing violated, but what the run exists to race did not happen), 1 failed. */
const exitCodeOf = (r: { ok: boolean; verdict?: Verdict }) => (r.ok ? 0 : r.verdict === 'inconclusive' ? 3 : 1);

/**
 * The exit code of a command that lost an output (a trace or diagram file, or the report on
 * stdout) after it ran: a failed run keeps its 1, the bigger news; a clean one never exits 0,
 * but 2, as when the same path is found unwritable before the run.
 */
const withLostOutput = (code: number) => (code === 0 ? 2 : code);

function scenarioNamed(name: string): Scenario {
  const s = SCENARIO_BY_NAME.get(name);
  if (!s) throw new InputError(`unknown scenario '${name}' (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  return s;
}

function scaleParams(f: ScaleFlags & Pick<ModeFlags, 'keepGoing'>, defaultDurationSec: number, mutant: MutantName | undefined): Omit<ScenarioParams, 'seed'> {
  return {
    durationSec: f.duration ?? defaultDurationSec,
    vms: f.vms ?? DEFAULT_PARAMS.vms,
    devices: f.devices ?? DEFAULT_PARAMS.devices,
    pasids: f.pasids ?? DEFAULT_PARAMS.pasids,
    workers: f.workers ?? DEFAULT_PARAMS.workers,
    mutant: mutant ?? null,
    ...(f.uapi ? { uapi: f.uapi } : {}),
    ...(f.keepGoing ? { keepGoing: true } : {}),
  };
}

/** Write the output files once the report is out; a file that fails is one line on stderr. */
function writeOutputs(outputs: RunOutputs, code: number, json: boolean | undefined): number {
  let lost = false;
  for (const w of outputs.write()) {
    if (w.error !== null) {
      lost = true;
      log(`ioasid-sim: cannot write ${w.flag} ${w.path}: ${w.error}; the report on stdout is complete`);
    } else if (!json) log(`wrote ${w.flag.slice(2)}: ${w.path}`);
  }
  return lost ? withLostOutput(code) : code;
}

function printReport(r: RunReport, json: boolean | undefined, outputs: RunOutputs): number {
  out(json ? JSON.stringify(r, null, 2) : formatRunSummary(r));
  return writeOutputs(outputs, exitCodeOf(r), json);
}

/**
 * replay's own verdict comes last; the replayed run's summary, when it reproduced, is framed
 * above it as what that run showed, with the command line that gives the same report again.
 */
function formatReplay(o: ReplayOutcome, command: string | null): string {
  const verdict = `${o.message} (exit ${o.reproduced ? 0 : 1})`;
  if (!o.reproduced || !o.report) return verdict;
  const shown = formatRunSummary(o.report, { verdict: false })
    .split('\n')
    .map((l) => (l ? `  ${l}` : l));
  return ['the replayed run showed:', ...shown, '', ...(command ? [`run it again: ${command}`] : []), verdict].join('\n');
}

/** shrink's summary: steps before and after, the invariant, the command that shows it, the verdict. */
function formatShrink(o: ShrinkOutcome, out: string, written: boolean): string {
  if (!written) return `${o.message} (exit ${o.text === null ? 1 : 2})`;
  return [o.message, `wrote ${out}; run it:`, `  ${o.run}   # exit 1, ${o.invariant}`, '(exit 0)'].join('\n');
}

/** `--shard`: as given, or, for `auto`, from the environment this process runs in. */
function resolveShard(f: ShardFlag | undefined): Shard | null {
  if (!f) return null;
  return 'fixed' in f ? f.fixed : shardFromEnv(process.env, f.auto.count);
}

/**
 * `--jobs`: deterministic seeds default to one per core. A threads-mode seed already runs its
 * engines on worker threads, so seeds side by side would only fight over the cores and change
 * what each run races: there it is 1, and more is refused.
 */
function sweepJobs(jobs: number | undefined, mode: ModeName): number {
  if (mode === 'deterministic') return jobs ?? Math.min(JOBS_MAX, availableParallelism());
  if (jobs !== undefined && jobs > 1) throw new InputError('--jobs: only applies with --mode deterministic (threads mode runs one seed at a time)');
  return 1;
}

function printSweep(r: SweepReport, json: boolean | undefined): number {
  out(json ? JSON.stringify(r, null, 2) : formatSweepSummary(r));
  return exitCodeOf(r);
}

// ---- option groups shared by several commands ----

function scaleOptions(c: Command, durationHelp: string): Command {
  return c
    .option('--duration <SEC>', durationHelp, parseDuration)
    .option('--vms <N>', `VMs (1..${SCALE_LIMITS.vms}, default ${DEFAULT_PARAMS.vms})`, intIn(1, SCALE_LIMITS.vms))
    .option('--devices <N>', `devices per VM (1..${SCALE_LIMITS.devices}, default ${DEFAULT_PARAMS.devices})`, intIn(1, SCALE_LIMITS.devices))
    .option('--pasids <N>', `concurrent IOASIDs per device (1..${SCALE_LIMITS.pasids}, default ${DEFAULT_PARAMS.pasids})`, intIn(1, SCALE_LIMITS.pasids))
    .option('--workers <N>', `engine worker threads (1..${WORKERS_MAX}, default ${DEFAULT_PARAMS.workers})`, intIn(1, WORKERS_MAX))
    .option('--keep-going', 'deterministic mode: run the whole duration past the first violation (default: stop there)')
    .option('--uapi <DESIGN>', `the uAPI design the machine serves: ${UAPI_DESIGNS.join(' or ')} (default ioasid)`, oneOf(UAPI_DESIGNS));
}

function commonOptions(c: Command): Command {
  return c
    .option('--mutant <NAME>', 'switch on one deliberate bug (see `list`)', parseMutant)
    .option('--json', 'print exactly one JSON report on stdout')
    .option('--mode <MODE>', `${MODES.join(' | ')} (default threads: real worker threads)`, oneOf(MODES))
    .option('--strategy <S>', `deterministic mode only: ${STRATEGIES.join(' | ')}`, oneOf(STRATEGIES))
    .option(
      '--pct-depth <D>',
      `deterministic mode, strategy pct: bug depth (1..${SCALE_LIMITS.pctDepth}, default ${DEFAULT_PCT_DEPTH})`,
      intIn(1, SCALE_LIMITS.pctDepth),
    );
}

function outputOptions(c: Command): Command {
  return c
    .option('--trace <FILE>', 'write Chrome trace-event JSON (open in Perfetto or chrome://tracing)')
    .option('--diagram <FILE>', 'write a Mermaid sequenceDiagram of the actor messages');
}

function program(setExit: (code: number) => void): Command {
  const cli = new Command('ioasid-sim')
    .description('Simulate the Linux /dev/ioasid design under real concurrency and check its invariants')
    .version(VERSION)
    .exitOverride()
    // Errors are printed by main() as one line; help asked for still goes to stdout.
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined })
    .showSuggestionAfterError(true);

  const run = outputOptions(
    commonOptions(
      scaleOptions(
        cli.command('run').argument('<scenario>', 'a built-in scenario (see `list`)').description('run a built-in stress scenario for a while'),
        `seconds to run (default ${DEFAULT_DURATION_SEC.threads}; in deterministic mode virtual seconds, default ${DEFAULT_DURATION_SEC.deterministic})`,
      ).option('--seed <N>', `seed of every random choice (0..4294967295, default ${DEFAULT_PARAMS.seed})`, parseSeed),
    ),
  );
  run.action(async (name: string, f: RunFlags) => {
    const mode = resolveMode(f);
    const scenario = scenarioNamed(name);
    const outputs = openOutputs(f, []);
    const p = { ...scaleParams(f, DEFAULT_DURATION_SEC[mode.mode], f.mutant), seed: f.seed ?? DEFAULT_PARAMS.seed, mode };
    const bar = progressBar(`${scenario.name} seed ${p.seed}`, 100, null, { json: !!f.json });
    const report = await runScenario(scenario, p, {
      attach: outputs.attach,
      publishMessages: outputs.publishMessages,
      progress: (done) => bar.update(Math.round(done * 100)),
    });
    bar.stop();
    setExit(printReport(report, f.json, outputs));
  });

  const seq = outputOptions(
    commonOptions(
      cli
        .command('seq')
        .argument('<file>', 'a sequence file (.yaml, .yml or .json)')
        .description('run a sequence file step by step and check its expectations')
        .option('--seed <N>', "seed (0..4294967295; default the file's seed, else 1)", parseSeed),
    ),
  );
  seq.action(async (file: string, f: SeqFlags) => {
    const mode = resolveMode(f);
    const sequence = loadSequenceFile(file);
    const outputs = openOutputs(f, [{ what: 'the sequence file', path: file }]);
    const report = await runSequence(sequence, {
      seed: f.seed,
      mutant: f.mutant ?? null,
      publishMessages: outputs.publishMessages,
      attach: outputs.attach,
      mode,
    });
    setExit(printReport(report, f.json, outputs));
  });

  cli
    .command('compare')
    .argument('<file>', 'a sequence file (.yaml, .yml or .json)')
    .description('run a sequence file under both uAPI designs (ioasid, iommufd) and show its steps side by side')
    .option('--json', 'print exactly one JSON report on stdout')
    .option('--seed <N>', "seed (0..4294967295; default the file's seed, else 1)", parseSeed)
    .option('--mutant <NAME>', 'switch on one deliberate bug (see `list`)', parseMutant)
    .action(async (file: string, f: { json?: boolean; seed?: number; mutant?: MutantName }) => {
      const report = await compareSequence(loadSequenceFile(file), { seed: f.seed, mutant: f.mutant ?? null });
      out(f.json ? JSON.stringify(report, null, 2) : formatCompare(report));
      setExit(exitCodeOf(report));
    });

  const sweep = commonOptions(
    scaleOptions(
      cli
        .command('sweep')
        .argument('<scenario>', 'a built-in scenario (see `list`)')
        .description('run a scenario once per seed of a range')
        .requiredOption('--seeds <A..B>', 'the seed range, both ends included (at most 100000 seeds)', parseSeedRange)
        .option(
          '--shard <I/N|auto|auto/N>',
          "run only the I-th of N shards: seeds with (seed - A) % N == I - 1; auto: I (and N) from a job scheduler's environment (docs/sweeps.md)",
          parseShard,
        )
        .option(
          '--jobs <N>',
          `deterministic mode: seeds run at once on worker threads (1..${JOBS_MAX}, default the cores; threads mode: 1)`,
          intIn(1, JOBS_MAX),
        ),
      `seconds per seed (default ${SWEEP_DEFAULT_DURATION_SEC.threads}; in deterministic mode virtual seconds, default ${SWEEP_DEFAULT_DURATION_SEC.deterministic})`,
    ),
  );
  sweep.action(async (name: string, f: SweepFlags) => {
    const mode = resolveMode(f);
    const scenario = scenarioNamed(name);
    const range = f.seeds,
      shard = resolveShard(f.shard);
    const jobs = sweepJobs(f.jobs, mode.mode);
    const bar = progressBar(`sweep ${scenario.name}`, shardSeeds(range, shard).length, 'seeds', { json: !!f.json });
    const report = await runSweep(scenario, scaleParams(f, SWEEP_DEFAULT_DURATION_SEC[mode.mode], f.mutant), {
      range,
      shard,
      mode,
      jobs,
      progress: (done) => bar.update(done),
    });
    bar.stop();
    setExit(printSweep(report, f.json));
  });

  const replayCommand = outputOptions(
    cli
      .command('replay')
      .argument('<report>', 'a JSON report of `run` or `seq` (with a violation)')
      .description(
        're-run a report: a deterministic one to the same violation at the same step; for a real-thread one, search deterministic seeds for the same invariant',
      )
      .option('--json', 'print exactly one JSON document on stdout')
      .option('--budget <N>', 'real-thread reports: seeds to search (1..1000, default 20)', intIn(1, 1000)),
  );
  replayCommand.action(async (file: string, f: { json?: boolean; budget?: number } & OutputFlags) => {
    const report = replayableReport(readJson(file), file);
    const inputs: InputFile[] = [{ what: 'the replayed report', path: file }];
    if (report.kind === 'seq' && report.file !== undefined) inputs.push({ what: "the report's sequence file", path: report.file });
    const outputs = openOutputs(f, inputs);
    const outcome = await replay(report, file, f.budget ?? 20, outputs);
    // The line that gives the report replay found, when it found one.
    const command = outcome.reproduced && outcome.report ? commandLineOf(outcome.report) : null;
    out(f.json ? JSON.stringify({ ...outcome, command }, null, 2) : formatReplay(outcome, command));
    setExit(writeOutputs(outputs, outcome.reproduced ? 0 : 1, f.json));
  });

  cli
    .command('shrink')
    .argument('<report>', 'a JSON report of `run` or `seq` with a violation')
    .description("turn the report's failing run into a small sequence file that shows the same invariant (delta debugging over its calls)")
    .requiredOption('--out <FILE>', 'where to write the sequence file (YAML)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--budget <N>', `sequence runs to spend on candidates (1..100000, default ${DEFAULT_SHRINK_BUDGET})`, intIn(1, 100000))
    .action(async (file: string, f: { out: string; json?: boolean; budget?: number }) => {
      const report = shrinkableReport(readJson(file), file);
      const inputs: InputFile[] = [{ what: 'the report', path: file }];
      if (report.kind === 'seq' && report.file !== undefined) inputs.push({ what: "the report's sequence file", path: report.file });
      const product = openProductFile('--out', f.out, inputs);
      const budget = f.budget ?? DEFAULT_SHRINK_BUDGET;
      const bar = progressBar('shrink', budget, 'runs', { json: f.json ?? false });
      let outcome: ShrinkOutcome;
      try {
        outcome = await shrink(report, file, { budget, out: f.out, command: `ioasid-sim shrink ${file} --out ${f.out}`, progress: bar.update });
      } catch (e) {
        product.discard();
        throw e;
      } finally {
        bar.stop();
      }
      const { text, ...summary } = outcome;
      let error: string | null = null;
      if (text === null) product.discard();
      else error = product.write(text);
      const written = text !== null && error === null;
      out(f.json ? JSON.stringify({ ...summary, out: written ? f.out : null }, null, 2) : formatShrink(outcome, f.out, written));
      if (error !== null) log(`ioasid-sim: cannot write --out ${f.out}: ${error}`);
      setExit(written ? 0 : text !== null ? 2 : 1);
    });

  cli
    .command('failnth')
    .argument('<file>', 'a sequence file (.yaml, .yml or .json)')
    .description(
      'fail the n-th fallible internal step (PASID allocation, IOMMU entry install, page-table allocation, worker start, teardown and address-space flushes and drains) for n = 1, 2, ... until none fires',
    )
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--seed <N>', "seed (0..4294967295; default the file's seed, else 1)", parseSeed)
    .action(async (file: string, f: { json?: boolean; seed?: number }) => {
      const report = await failNth(loadSequenceFile(file), f.seed === undefined ? {} : { seed: f.seed });
      out(f.json ? JSON.stringify(report, null, 2) : failNthSummary(report));
      setExit(exitCodeOf(report));
    });

  cli
    .command('merge')
    .argument('<reports...>', 'sweep reports (JSON) of the same scenario and mutant')
    .description('join sweep reports (shards, or adjacent seed ranges) into one')
    .option('--json', 'print exactly one JSON report on stdout')
    .action((files: string[], f: { json?: boolean }) => {
      setExit(printSweep(mergeSweeps(files.map(loadSweepReport)), f.json));
    });

  cli
    .command('list')
    .description('scenarios, mutants, invariants and ops, each with one line of meaning')
    .option('--json', 'print exactly one JSON document on stdout')
    .action((f: { json?: boolean }) => {
      const l = listing();
      out(f.json ? JSON.stringify(l, null, 2) : formatListing(l));
      setExit(0);
    });
  return cli;
}

/** A JSON report the command reads (input/read.ts: a regular file, bounded in size and depth); not JSON is bad input. */
const readJson = (file: string): unknown => parseJsonText(readInputFile(file), file);

/** One line: commander's messages may hold a suggestion on a second line. */
const oneLine = (s: string) =>
  s
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

export async function main(argv: readonly string[]): Promise<number> {
  guardStdio();
  const code = await runCommand(argv);
  // The report may still be on its way into a pipe or file; its loss changes the exit code.
  await flushStdout();
  return stdoutFailure() === null ? code : withLostOutput(code);
}

async function runCommand(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    if (argv.length === 0) throw new InputError('missing command: run, seq, compare, sweep, replay, shrink, failnth, merge or list (see ioasid-sim --help)');
    await program((c) => {
      code = c;
    }).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      log(
        `ioasid-sim: ${e.code === 'commander.help' ? 'missing command: run, seq, compare, sweep, replay, shrink, failnth, merge or list (see ioasid-sim --help)' : oneLine(e.message)}`,
      );
      return 2;
    }
    if (e instanceof InputError) {
      log(`ioasid-sim: ${oneLine(e.message)}`);
      return 2;
    }
    // Not the user's fault: a bug of the simulator. Keep the stack for the bug report.
    log(`ioasid-sim: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}
