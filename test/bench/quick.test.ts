// `npm run bench -- --quick` end to end: it must write every section with rows, and every figure
// must be a finite positive number (outcome rates that a healthy run keeps at zero may be zero).
// No timing is asserted: the machine is shared.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchResults } from '../../bench/result.js';

const SECTIONS = ['uapi', 'dma', 'enqcmd', 'teardown', 'scaling-workers', 'scaling-pasids', 'mutants', 'deterministic', 'sweep'];
/** Counts of outcomes a healthy run may never see: #GP and VM exits for a mapped vPASID, retries when the consumer keeps up. */
const MAY_BE_ZERO = new Set(['enqcmd:gpPerSec', 'enqcmd:exitsPerSec', 'enqcmd:retriedPerSec', 'enqcmd:retriesPerAccepted', 'enqcmd:retryAwayShare']);
const MUTANTS = [
  'skip-iotlb-flush',
  'skip-drain',
  'early-recycle',
  'no-fd-check',
  'kvm-no-kref',
  'skip-pasid-clear',
  'kvm-no-quiesce',
  'backwards-order',
  'unmap-free-before-flush',
  'unmap-flush-before-clear',
  'unmap-range-short',
  'skip-devtlb',
  'skip-pasid-cache-flush',
  'mm-exit-no-teardown',
];

describe('bench --quick', () => {
  it('writes results.json with every section, and finite positive figures in each', async function () {
    this.timeout(240000);
    const out = join(tmpdir(), `ioasid-bench-${process.pid}.json`);
    try {
      await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../../bench/run.js', import.meta.url)), '--quick', '--out', out]);
      const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
      expect(r.quick).to.equal(true);
      expect(r.sections.map((s) => s.id)).to.deep.equal(SECTIONS);
      for (const s of r.sections) {
        expect(s.rows, s.id).to.not.be.empty;
        const numbers: Array<[string, number]> = [
          ...s.rows.flatMap(
            (row): Array<[string, number]> => [
              [`${row.what} subject`, row.subject],
              [`${row.what} baseline`, row.baseline],
              [`${row.what} ratio`, row.ratio],
            ],
          ),
          ...Object.entries(s.figures),
        ];
        for (const [what, v] of numbers) {
          const ok = Number.isFinite(v) && (v > 0 || (v === 0 && MAY_BE_ZERO.has(`${s.id}:${what}`)));
          expect(ok, `${s.id}: ${what} = ${v}`).to.equal(true);
        }
      }
      const mutants = r.sections.find((s) => s.id === 'mutants')!;
      expect(
        mutants.rows.map((row) => row.what.split(' ')[0]),
        'a row per mutant: each caught under both strategies',
      ).to.deep.equal(MUTANTS);
      expect(r.sections.find((s) => s.id === 'enqcmd')!.figures).to.include.keys('retriedPerSec', 'gpPerSec', 'exitsPerSec');
    } finally {
      rmSync(out, { force: true });
    }
  });
});
