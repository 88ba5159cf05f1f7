// Model-based fuzzing of the uAPI (the FD, device and KVM calls): random call sequences (bad ones
// included) on small machines must agree with the reference model on every errno, value and
// state. A few hundred sequences by default; FUZZ_RUNS=5000 for more, FUZZ_SEED=N (or `random`)
// to explore other cases.
// A disagreement is shrunk and written to tmp/fuzz/ as a sequence file that reproduces it.
import { expect } from 'chai';
import { fuzzUapi } from './fuzz.js';

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const seedEnv = process.env.FUZZ_SEED;
const seed = seedEnv === 'random' ? Date.now() % 0x7fffffff : Number(seedEnv ?? 20210429);

describe(`uAPI model-based fuzzing (${runs} sequences, seed ${seed})`, function () {
  this.timeout(Math.max(60000, runs * 100));

  it('the machine agrees with the reference model of the uAPI (docs/model.md#the-uapi)', async () => {
    const r = await fuzzUapi({ numRuns: runs, seed, maxCommands: 40, outDir: 'tmp/fuzz' });
    const f = r.failure;
    expect(f, f ? `${f.message}\nshrunk case: ${f.counterexample}\nreproduce: ioasid-sim seq ${f.file}\n${f.yaml}` : '').to.equal(null);
    expect(r.numRuns).to.equal(runs);
    // A fuzzer that never gets past the argument checks proves little: every call must have
    // succeeded somewhere, and every errno of docs/model.md#errno-conventions must have been the right answer somewhere.
    const reached = new Set(r.tally.keys());
    const ops = new Set([...reached].map((k) => k.split(' ')[0]!));
    expect(
      [...ops].filter((op) => !reached.has(`${op} ok`)),
      'calls that never succeeded',
    ).to.deep.equal([]);
    expect(ops).to.include.all.keys('kvm_set_pasid', 'kvm_clear_pasid', 'allow', 'destroy', 'close_device');
    if (runs >= 100) {
      const errnos = new Set([...reached].map((k) => k.split(' ')[1]!));
      expect(
        ['EBADF', 'ENOENT', 'EINVAL', 'EBUSY', 'EEXIST', 'ENOSPC', 'EOPNOTSUPP', 'ENOMEM'].filter((e) => !errnos.has(e)),
        'errnos never reached',
      ).to.deep.equal([]);
    }
  });
});
