// fail-nth over every sequence file shipped in sequences/ (the folder, not a list: files added
// later are swept too). Each must end with every injected failure handled.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { failNth, failNthSummary } from '../../explore/failnth.js';
import { loadSequenceFile } from '../../sequence/file.js';

// Compiled to dist/test/failnth/: the folder is three levels up.
const dir = fileURLToPath(new URL('../../../sequences/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => /\.(ya?ml|json)$/i.test(f))
  .sort();

describe('fail-nth over every file in sequences/', function () {
  this.timeout(120000);

  it('finds the sequence files', () => {
    expect(files.length).to.be.greaterThan(0);
  });

  for (const f of files) {
    it(f, async () => {
      const r = await failNth(loadSequenceFile(dir + f));
      expect(r.ok, failNthSummary(r)).to.equal(true);
    });
  }
});
