// The KVM/ENQCMD diagram in docs/ is what the tool produces now: regenerate it when the message
// flow changes (the command is in docs/kvm-enqcmd-sequence.md).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cli } from './cli-process.js';

describe('docs match the code', function () {
  this.timeout(60_000);
  it('docs/kvm-enqcmd-sequence.mmd is the diagram of a deterministic run of sequences/kvm-enqcmd.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioasid-docs-'));
    try {
      const out = join(dir, 'd.mmd');
      const r = await cli(['seq', 'sequences/kvm-enqcmd.yaml', '--mode', 'deterministic', '--diagram', out]);
      expect(r.code, r.stderr).to.equal(0);
      const now = readFileSync(out, 'utf8');
      expect(now).to.match(/^sequenceDiagram/);
      expect(now).to.include('kvm.vm1');
      expect(readFileSync(join(ROOT, 'docs/kvm-enqcmd-sequence.mmd'), 'utf8')).to.equal(now);
      expect(readFileSync(join(ROOT, 'docs/kvm-enqcmd-sequence.md'), 'utf8')).to.include(now.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
