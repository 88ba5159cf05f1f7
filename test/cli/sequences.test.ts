// Every file in sequences/ runs with the outcome it promises. A file states its runs in header
// comments, `#   ioasid-sim seq sequences/FILE [--mutant NAME]  -> exit N` (the README shows
// the same lines); a file that states none (a JSON file cannot) must run clean.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, cli, oneJson } from './cli-process.js';

interface StepJson {
  index: number;
  op: string;
  result: string;
  met: boolean;
}
interface SeqJson {
  kind: string;
  ok: boolean;
  mutant: string | null;
  steps: StepJson[];
  violations: unknown[];
  violationCounts: Record<string, number>;
}

const DIR = join(ROOT, 'sequences');
const RUN_LINE = /^#\s*ioasid-sim seq (\S+)(.*?)\s*->\s*exit ([0-9])\s*$/;

interface PromisedRun {
  readonly args: string[];
  readonly exit: number;
}

function promisedRuns(file: string): PromisedRun[] {
  const path = `sequences/${file}`;
  const runs = readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .map((l) => RUN_LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      expect(m[1], `${path} states a run of another file`).to.equal(path);
      return { args: m[2]!.trim().split(/\s+/).filter(Boolean), exit: Number(m[3]) };
    });
  return runs.length > 0 ? runs : [{ args: [], exit: 0 }];
}

describe('sequences/: every file runs with its stated outcome', function () {
  this.timeout(60_000);
  const files = readdirSync(DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();

  it('holds the agreed order, the backwards proposal, close-while-busy and the errno paths', () => {
    expect(files).to.include.members(['agreed-order.yaml', 'backwards-proposal.yaml', 'close-while-busy.yaml', 'errno-paths.yaml']);
  });

  for (const file of files) {
    for (const run of promisedRuns(file)) {
      it(`${file} ${run.args.join(' ')} -> exit ${run.exit}`.replace(/\s+/g, ' '), async () => {
        const r = await cli(['seq', `sequences/${file}`, ...run.args, '--json']);
        expect(r.code, r.stderr).to.equal(run.exit);
        const report = oneJson<SeqJson>(r);
        expect(report.kind).to.equal('seq');
        expect(report.ok).to.equal(run.exit === 0);
        if (run.exit === 0) {
          expect(
            report.steps.filter((s) => !s.met),
            'unmet steps',
          ).to.deep.equal([]);
          expect(report.violations).to.deep.equal([]);
        } else {
          // The mutant is caught by what was observed: an unmet expectation or a violation.
          const unmet = report.steps.filter((s) => !s.met).length;
          expect(unmet + Object.keys(report.violationCounts).length).to.be.greaterThan(0);
        }
      });
    }
  }

  it('backwards-proposal.yaml shows the PASID parked between DESTROY and DISALLOW', async () => {
    const report = oneJson<{ steps: (StepJson & { value: unknown })[] }>(await cli(['seq', 'sequences/backwards-proposal.yaml', '--json']));
    const states = report.steps.filter((s) => s.op === 'pasid_state').map((s) => s.value);
    expect(states).to.deep.equal(['parked', 'free']);
  });

  it('errno-paths.yaml expects every errno a user meets, and meets each', async () => {
    const report = oneJson<{ steps: (StepJson & { expect: string | null })[] }>(await cli(['seq', 'sequences/errno-paths.yaml', '--json']));
    const expected = new Set(report.steps.map((s) => s.expect));
    for (const errno of ['EBADF', 'ENOENT', 'EINVAL', 'EBUSY', 'EEXIST', 'ENOSPC', 'EOPNOTSUPP', 'fault']) expect([...expected]).to.include(errno);
    expect(report.steps.filter((s) => s.expect !== null && s.expect !== 'ok').every((s) => s.result === s.expect && s.met)).to.equal(true);
  });
});
