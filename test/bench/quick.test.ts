// `npm run bench -- --quick` end to end: it must write every section, and every figure of a
// measured section must be a finite positive number. No timing is asserted: the machine is shared.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchResults } from '../../bench/result.js';

const SECTIONS = ['uapi', 'dma', 'enqcmd', 'teardown', 'scaling-workers', 'scaling-pasids', 'mutants'];
const PLACEHOLDERS = ['enqcmd', 'mutants'];

describe('bench --quick', () => {
  it('writes results.json with every section, and finite positive figures in each measured one', async function () {
    this.timeout(240000);
    const out = join(tmpdir(), `ioasid-bench-${process.pid}.json`);
    try {
      await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../../bench/run.js', import.meta.url)), '--quick', '--out', out]);
      const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
      expect(r.quick).to.equal(true);
      expect(r.sections.map((s) => s.id)).to.deep.equal(SECTIONS);
      for (const s of r.sections) {
        if (PLACEHOLDERS.includes(s.id)) {
          expect(s.measured, s.id).to.equal(false);
          expect(s.notes.join(' '), s.id).to.match(/not yet measured/);
          continue;
        }
        expect(s.measured, s.id).to.equal(true);
        expect(s.rows, s.id).to.not.be.empty;
        const numbers: Array<[string, number]> = [
          ...s.rows.flatMap((row): Array<[string, number]> => [[`${row.what} subject`, row.subject], [`${row.what} baseline`, row.baseline], [`${row.what} ratio`, row.ratio]]),
          ...Object.entries(s.figures),
        ];
        for (const [what, v] of numbers) expect(Number.isFinite(v) && v > 0, `${s.id}: ${what} = ${v}`).to.equal(true);
      }
    } finally {
      rmSync(out, { force: true });
    }
  });
});
