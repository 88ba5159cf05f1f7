// Model-based fuzzing of the uAPI: random call sequences (bad ones included) on small machines
// must agree with the reference model on every errno, value and state. A few hundred sequences
// by default; FUZZ_RUNS=5000 for more, FUZZ_SEED=N (or `random`) to explore other cases.
// A disagreement is shrunk and written to tmp/fuzz/ as a sequence file that reproduces it.
import { expect } from 'chai';
import { fuzzUapi } from './fuzz.js';

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const seedEnv = process.env.FUZZ_SEED;
const seed = seedEnv === 'random' ? Date.now() % 0x7fffffff : Number(seedEnv ?? 20210429);

describe(`uAPI model-based fuzzing (${runs} sequences, seed ${seed})`, function () {
  this.timeout(Math.max(60000, runs * 100));

  it('the machine agrees with the reference model of DESIGN.md section 3', async () => {
    const r = await fuzzUapi({ numRuns: runs, seed, maxCommands: 40, outDir: 'tmp/fuzz' });
    const f = r.failure;
    expect(f, f ? `${f.message}\nshrunk case: ${f.counterexample}\nreproduce: ioasid-sim seq ${f.file}\n${f.yaml}` : '').to.equal(null);
    expect(r.numRuns).to.equal(runs);
  });
});
