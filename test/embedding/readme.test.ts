// The README's embedding example runs as shown: its code block, saved under the name its first
// line gives and run with the command that line gives, in a project that installed the packed
// package. So the README cannot drift from the API.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocksUnder } from '../docs-markdown.js';
import { consumerProject } from './consumer.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const SECTION = 'Embedding it in a VMM model';

describe('README embedding example', function () {
  this.timeout(120000);

  it('is plain ESM JavaScript that runs as shown against the installed package, and exits on its own', async () => {
    const blocks = codeBlocksUnder(readFileSync(README, 'utf8'), SECTION);
    expect(blocks.map((b) => b.lang)[0], `the first code block under "${SECTION}"`).to.equal('js');
    const code = blocks[0]!.text;
    // Its first line says where it goes and how to run it: `// vmm.mjs ...: node vmm.mjs`.
    const shown = /^\/\/ .*`node ([\w.-]+\.mjs)`/.exec(code);
    expect(shown, 'the first line names the file and the command').to.not.equal(null);
    const file = shown![1]!;
    const dir = await consumerProject();
    writeFileSync(join(dir, file), code);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 30000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr, 'no violation printed').to.equal('');
    expect(r.stdout.trim()).to.equal('10000 accesses landed; invariants held');
  });
});
