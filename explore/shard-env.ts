// `--shard auto[/N]`: the shard of this process, from the environment the job scheduler set.
// Schedulers are tried in a fixed order and the first whose index variable is set wins:
// ours (IOASID_SIM_SHARD_INDEX, 1-based), Slurm array tasks, Kubernetes Indexed Jobs, GitLab
// CI `parallel:`, CircleCI `parallelism:`, Buildkite `parallelism:`. The count comes from `/N`,
// the scheduler's own count variable, or IOASID_SIM_SHARD_COUNT; all of those that are set
// must agree. Everything wrong is one line naming the variable (docs/sweeps.md has the table).
import { InputError } from '../input/input-error.js';
import { MAX_SHARDS, type Shard } from './sweep.js';

export type Env = Readonly<Record<string, string | undefined>>;

interface Scheduler {
  readonly name: string;
  /** The variable whose presence selects this scheduler. */
  readonly index: string;
  /** Its own count variable, if it has one (Kubernetes has none). */
  readonly count?: string;
  /** Its index counts from 1 (else from 0, or for Slurm from the array's first id). */
  readonly oneBased?: true;
  /** The 0-based index from the environment (range checked later). */
  readonly zeroBased: (env: Env, read: Read) => number;
}

type Read = (name: string) => number | undefined;

const COUNT_VAR = 'IOASID_SIM_SHARD_COUNT';

const SCHEDULERS: readonly Scheduler[] = [
  { name: 'ioasid-sim', index: 'IOASID_SIM_SHARD_INDEX', count: COUNT_VAR, oneBased: true, zeroBased: (_, read) => read('IOASID_SIM_SHARD_INDEX')! - 1 },
  {
    name: 'slurm',
    index: 'SLURM_ARRAY_TASK_ID',
    count: 'SLURM_ARRAY_TASK_COUNT',
    // Array task ids run MIN, MIN+STEP, ... (`--array=1-8`, `--array=0-15:4`), not from 0.
    zeroBased: (env, read) => {
      const id = read('SLURM_ARRAY_TASK_ID')!;
      const min = read('SLURM_ARRAY_TASK_MIN');
      if (min === undefined) throw bad('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not (is this an array job?)');
      const step = read('SLURM_ARRAY_TASK_STEP') ?? 1;
      if (step < 1) throw bad(`SLURM_ARRAY_TASK_STEP is ${env.SLURM_ARRAY_TASK_STEP}, expected at least 1`);
      if (id < min || (id - min) % step !== 0)
        throw bad(`SLURM_ARRAY_TASK_ID=${id} is not one of SLURM_ARRAY_TASK_MIN=${min} + k * SLURM_ARRAY_TASK_STEP=${step} (use --array=A-B or A-B:S)`);
      return (id - min) / step;
    },
  },
  { name: 'kubernetes', index: 'JOB_COMPLETION_INDEX', zeroBased: (_, read) => read('JOB_COMPLETION_INDEX')! },
  { name: 'gitlab', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL', oneBased: true, zeroBased: (_, read) => read('CI_NODE_INDEX')! - 1 },
  { name: 'circleci', index: 'CIRCLE_NODE_INDEX', count: 'CIRCLE_NODE_TOTAL', zeroBased: (_, read) => read('CIRCLE_NODE_INDEX')! },
  { name: 'buildkite', index: 'BUILDKITE_PARALLEL_JOB', count: 'BUILDKITE_PARALLEL_JOB_COUNT', zeroBased: (_, read) => read('BUILDKITE_PARALLEL_JOB')! },
];

/** The variables `--shard auto` looks at, in order of precedence. */
const SHARD_INDEX_VARIABLES: readonly string[] = SCHEDULERS.map((s) => s.index);

const bad = (what: string) => new InputError(`--shard auto: ${what}`);
/** An empty variable is an unset one: CI systems and shells export empty strings freely. */
const isSet = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/**
 * The shard of this process. `count` is N of `--shard auto/N`, or null for `--shard auto`.
 * Throws InputError (one line, naming the variable) when no scheduler is found or a value is bad.
 */
export function shardFromEnv(env: Env, count: number | null): Shard {
  const scheduler = SCHEDULERS.find((s) => isSet(env, s.index));
  if (!scheduler) {
    throw bad(
      `no shard index in the environment (looked for ${SHARD_INDEX_VARIABLES.join(', ')}); use --shard I/N, or set IOASID_SIM_SHARD_INDEX (1-based) and ${COUNT_VAR}`,
    );
  }
  const variables: Record<string, string> = {};
  const read: Read = (name) => {
    if (!isSet(env, name)) return undefined;
    const raw = env[name]!;
    variables[name] = raw;
    const n = /^(0|[1-9][0-9]*)$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) throw bad(`${name} is '${raw}', expected a non-negative integer`);
    return n;
  };
  const zeroBased = scheduler.zeroBased(env, read);
  const total = shardCount(scheduler, read, count);
  if (zeroBased < 0 || zeroBased >= total) {
    const expected = scheduler.oneBased ? `1..${total}` : scheduler.name === 'slurm' ? `the ids of ${total} array tasks` : `0..${total - 1}`;
    throw bad(`${scheduler.index}=${env[scheduler.index]} is out of range for ${total} shard(s) (expected ${expected})`);
  }
  if (scheduler.name === 'slurm') slurmIsARange(read, total);
  return { index: zeroBased + 1, count: total, source: { scheduler: scheduler.name, variables, count: count === null ? 'env' : 'flag' } };
}

/** The count: every source that is set (`/N`, the scheduler's variable, ours) must give the same one. */
function shardCount(scheduler: Scheduler, read: Read, given: number | null): number {
  const said: Array<[string, number]> = [];
  if (given !== null) said.push([`--shard auto/${given}`, given]);
  for (const name of new Set([scheduler.count, COUNT_VAR])) {
    const n = name === undefined ? undefined : read(name);
    if (n === undefined) continue;
    if (n < 1 || n > MAX_SHARDS) throw bad(`${name} is ${n}, expected a shard count in 1..${MAX_SHARDS}`);
    said.push([`${name}=${n}`, n]);
  }
  const first = said[0];
  if (!first) {
    const own = scheduler.count ? `${scheduler.count} is not set` : 'no count';
    throw bad(`${scheduler.index} gives the index but ${own}: use --shard auto/N or set ${COUNT_VAR}`);
  }
  const other = said.find(([, n]) => n !== first[1]);
  if (other) throw bad(`${other[0]} disagrees with ${first[0]} on the shard count`);
  return first[1];
}

/** A Slurm array given as a list (`--array=1,4,9`) has ids no shard index maps onto: refuse it. */
function slurmIsARange(read: Read, count: number): void {
  const min = read('SLURM_ARRAY_TASK_MIN')!,
    max = read('SLURM_ARRAY_TASK_MAX'),
    step = read('SLURM_ARRAY_TASK_STEP') ?? 1;
  if (max !== undefined && max !== min + (count - 1) * step)
    throw bad(`SLURM_ARRAY_TASK_MAX=${max} is not SLURM_ARRAY_TASK_MIN=${min} + (count ${count} - 1) * step ${step} (use --array=A-B or A-B:S)`);
}
