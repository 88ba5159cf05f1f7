// --shard auto: each scheduler's variables give the same 1-based shard, in a fixed precedence,
// and every bad or missing value is one line naming the variable.
import { expect } from 'chai';
import { type Env, shardFromEnv } from '../../explore/shard-env.js';
import { InputError } from '../../input/input-error.js';

const shard = (env: Env, count: number | null = null) => {
  const s = shardFromEnv(env, count);
  return { index: s.index, count: s.count, scheduler: s.source?.scheduler };
};
const refusal = (env: Env, count: number | null = null): string => {
  try {
    shardFromEnv(env, count);
  } catch (e) {
    expect(e).to.be.instanceOf(InputError);
    expect((e as Error).message).to.not.include('\n');
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('--shard auto: the shard from the environment', () => {
  it('reads every scheduler, each with its own numbering, as the same 1-based shard', () => {
    const third: Array<[Env, number | null, string]> = [
      [{ IOASID_SIM_SHARD_INDEX: '3', IOASID_SIM_SHARD_COUNT: '4' }, null, 'ioasid-sim'],
      [{ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4', SLURM_ARRAY_TASK_COUNT: '4' }, null, 'slurm'],
      [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' }, null, 'slurm'],
      [
        { SLURM_ARRAY_TASK_ID: '18', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '4', SLURM_ARRAY_TASK_MAX: '22', SLURM_ARRAY_TASK_COUNT: '4' },
        null,
        'slurm',
      ],
      [{ JOB_COMPLETION_INDEX: '2' }, 4, 'kubernetes'],
      [{ JOB_COMPLETION_INDEX: '2', IOASID_SIM_SHARD_COUNT: '4' }, null, 'kubernetes'],
      [{ CI_NODE_INDEX: '3', CI_NODE_TOTAL: '4' }, null, 'gitlab'],
      [{ CIRCLE_NODE_INDEX: '2', CIRCLE_NODE_TOTAL: '4' }, null, 'circleci'],
      [{ BUILDKITE_PARALLEL_JOB: '2', BUILDKITE_PARALLEL_JOB_COUNT: '4' }, null, 'buildkite'],
    ];
    for (const [env, count, scheduler] of third) expect(shard(env, count), JSON.stringify(env)).to.deep.equal({ index: 3, count: 4, scheduler });
  });

  it('the first and last shard of a scheduler are 1 and N', () => {
    expect(shard({ CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '3' })).to.include({ index: 1, count: 3 });
    expect(shard({ CIRCLE_NODE_INDEX: '2', CIRCLE_NODE_TOTAL: '3' })).to.include({ index: 3, count: 3 });
    expect(shard({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).to.include({ index: 1, count: 3 });
  });

  it('records the variables it read and where the count came from', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0', HOME: '/root' }, 2).source).to.deep.equal({
      scheduler: 'kubernetes',
      variables: { JOB_COMPLETION_INDEX: '0' },
      count: 'flag',
    });
    expect(shardFromEnv({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' }, null).source).to.deep.equal({
      scheduler: 'gitlab',
      variables: { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' },
      count: 'env',
    });
  });

  it('precedence: ours, Slurm, Kubernetes, GitLab, CircleCI, Buildkite; empty variables are unset', () => {
    const all: Env = {
      IOASID_SIM_SHARD_INDEX: '1',
      IOASID_SIM_SHARD_COUNT: '2',
      SLURM_ARRAY_TASK_ID: '1',
      SLURM_ARRAY_TASK_MIN: '0',
      SLURM_ARRAY_TASK_COUNT: '2',
      JOB_COMPLETION_INDEX: '1',
      CI_NODE_INDEX: '2',
      CI_NODE_TOTAL: '2',
      CIRCLE_NODE_INDEX: '1',
      CIRCLE_NODE_TOTAL: '2',
      BUILDKITE_PARALLEL_JOB: '1',
      BUILDKITE_PARALLEL_JOB_COUNT: '2',
    };
    const order = ['IOASID_SIM_SHARD_INDEX', 'SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'CI_NODE_INDEX', 'CIRCLE_NODE_INDEX', 'BUILDKITE_PARALLEL_JOB'];
    const schedulers = ['ioasid-sim', 'slurm', 'kubernetes', 'gitlab', 'circleci', 'buildkite'];
    order.forEach((_, i) => {
      const env: Record<string, string> = { ...all } as Record<string, string>;
      for (const v of order.slice(0, i)) env[v] = '';
      expect(shard(env).scheduler).to.equal(schedulers[i]);
    });
  });

  it('none set: one line listing every variable it looked for', () => {
    const m = refusal({ IOASID_SIM_SHARD_INDEX: '', PATH: '/bin' });
    for (const v of ['IOASID_SIM_SHARD_INDEX', 'SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'CI_NODE_INDEX', 'CIRCLE_NODE_INDEX', 'BUILDKITE_PARALLEL_JOB'])
      expect(m).to.include(v);
  });

  it('refuses non-integers, out-of-range indexes, a missing or disagreeing count, naming the variable', () => {
    expect(refusal({ CI_NODE_INDEX: '2x', CI_NODE_TOTAL: '4' })).to.include("CI_NODE_INDEX is '2x'");
    expect(refusal({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '-4' })).to.include("CI_NODE_TOTAL is '-4'");
    expect(refusal({ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '4' }))
      .to.include('CI_NODE_INDEX=0 is out of range')
      .and.include('1..4');
    expect(refusal({ CIRCLE_NODE_INDEX: '4', CIRCLE_NODE_TOTAL: '4' }))
      .to.include('CIRCLE_NODE_INDEX=4 is out of range')
      .and.include('0..3');
    expect(refusal({ IOASID_SIM_SHARD_INDEX: '1', IOASID_SIM_SHARD_COUNT: '0' })).to.include('IOASID_SIM_SHARD_COUNT is 0');
    expect(refusal({ JOB_COMPLETION_INDEX: '1' }))
      .to.include('JOB_COMPLETION_INDEX gives the index')
      .and.include('--shard auto/N');
    expect(refusal({ JOB_COMPLETION_INDEX: '4' }, 4)).to.include('JOB_COMPLETION_INDEX=4 is out of range');
    expect(refusal({ BUILDKITE_PARALLEL_JOB: '1', BUILDKITE_PARALLEL_JOB_COUNT: '3' }, 4)).to.include(
      'BUILDKITE_PARALLEL_JOB_COUNT=3 disagrees with --shard auto/4',
    );
    expect(refusal({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3', IOASID_SIM_SHARD_COUNT: '4' })).to.include(
      'IOASID_SIM_SHARD_COUNT=4 disagrees with CI_NODE_TOTAL=3',
    );
  });

  it('Slurm: ids count from SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP; lists and strays are refused', () => {
    expect(refusal({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).to.include('SLURM_ARRAY_TASK_MIN is not');
    expect(refusal({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' })).to.include('SLURM_ARRAY_TASK_ID=5 is out of range');
    expect(refusal({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' })).to.include(
      'SLURM_ARRAY_TASK_ID=4 is not one of',
    );
    expect(refusal({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '3' })).to.include(
      'SLURM_ARRAY_TASK_MAX=9',
    );
  });
});
