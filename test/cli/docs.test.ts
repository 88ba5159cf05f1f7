// The docs match the code: the KVM/ENQCMD diagram in docs/ is what the tool produces now
// (regenerate it when the message flow changes; the command is in docs/kvm-enqcmd-sequence.md),
// and every op, errno, invariant and mutant of the code's registries is documented, and nothing
// else is: a new one without docs fails here.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MUTANTS } from '../../actors/env.js';
import { ERRNOS } from '../../actors/result.js';
import { INVARIANTS } from '../../invariants/catalog.js';
import { STEP_OP_BY_NAME } from '../../sequence/ops.js';
import { headingsUnder, parseMarkdown } from '../docs-markdown.js';
import { ROOT, cli } from './cli-process.js';

const page = (name: string) => parseMarkdown(readFileSync(join(ROOT, 'docs', name), 'utf8'));
const sorted = (xs: Iterable<string>) => [...xs].sort();

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

  it('docs/sequence-format.md has a row for every op of the op table and every errno', () => {
    const tables = page('sequence-format.md').firstColumns;
    expect(sorted(tables.get('op') ?? []), 'the ops table').to.deep.equal(sorted(STEP_OP_BY_NAME.keys()));
    expect(sorted(tables.get('errno') ?? []), 'the errnos table').to.deep.equal(sorted(ERRNOS));
  });

  it('docs/invariants.md has a section for every invariant and a row for every mutant', () => {
    const doc = page('invariants.md');
    expect(sorted(headingsUnder(doc, 'Invariants', 3)), 'the invariants').to.deep.equal(sorted(Object.keys(INVARIANTS)));
    expect(sorted(doc.firstColumns.get('mutant') ?? []), 'the mutants table').to.deep.equal(sorted(Object.keys(MUTANTS)));
  });
});
