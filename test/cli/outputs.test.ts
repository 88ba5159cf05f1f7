// A finished run is never lost to its output files: a path that cannot be written is exit 2
// before the run starts; a write that fails after it (a full disk) is one line on stderr with
// the report already printed; an output that is an input, stdout or the other output is
// refused. Every failure is one line, never a stack trace.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BIN, type CliResult, ROOT, cli, oneJson } from './cli-process.js';

const SEQ = 'sequences/agreed-order.yaml';
/** A deterministic run that always breaks an invariant: its verdict is exit 1. */
const FAILING_RUN = ['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.02', '--mutant', 'skip-drain'];

/** Exactly one line on stderr, starting `ioasid-sim: `, and no stack frame anywhere. */
function expectOneLine(r: CliResult, ...names: string[]): void {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^ioasid-sim: /);
  expect(r.stderr + r.stdout).not.to.match(/\n\s+at /);
  for (const n of names) expect(lines[0]).to.include(n);
}

/** Run the CLI with stdout going to a file descriptor of the test's choosing. */
function cliWithStdout(args: readonly string[], fd: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: '', stderr }));
  });
}

describe('CLI output files: never lose a finished run', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-outputs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('an unwritable path is exit 2 before the run', () => {
    it('under /proc (the file cannot be created)', async () => {
      const r = await cli(['run', 'teardown-race', '--duration', '1', '--trace', '/proc/ioasid-sim-x.json']);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expectOneLine(r, 'cannot write --trace /proc/ioasid-sim-x.json');
    });

    it('a directory without write permission (or, as root, read-only sysfs)', async () => {
      let path = '/sys/ioasid-sim-x.mmd';
      if (process.getuid?.() !== 0) {
        const ro = join(dir, 'read-only');
        mkdirSync(ro);
        chmodSync(ro, 0o555);
        path = join(ro, 'x.mmd');
      }
      const r = await cli(['seq', SEQ, '--diagram', path]);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expectOneLine(r, `cannot write --diagram ${path}`, 'EACCES');
    });
  });

  describe('a write that fails after the run: one line, the report already printed', () => {
    it('a clean run: the summary is printed, and the lost trace makes the exit code 2', async () => {
      const r = await cli(['seq', SEQ, '--trace', '/dev/full']);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.include('result: CLEAN');
      expectOneLine(r, 'cannot write --trace /dev/full', 'ENOSPC', 'the report on stdout is complete');
    });

    it('a failed run keeps its verdict (exit 1); the JSON report is whole, the other file written', async () => {
      const diagram = join(dir, 'late.mmd');
      const r = await cli([...FAILING_RUN, '--json', '--trace', '/dev/full', '--diagram', diagram]);
      expect(r.code).to.equal(1);
      expect(oneJson(r)).to.include({ tool: 'ioasid-sim', kind: 'run', ok: false });
      expectOneLine(r, 'cannot write --trace /dev/full', 'ENOSPC');
      expect(readFileSync(diagram, 'utf8')).to.match(/^sequenceDiagram\n/);
    });

    it('a report lost on stdout (a full disk) is one line and never exit 0', async () => {
      const full = openSync('/dev/full', 'w');
      try {
        const r = await cliWithStdout(['list', '--json'], full);
        expect(r.code).to.equal(2);
        expectOneLine(r, 'cannot write stdout', 'ENOSPC');
      } finally {
        closeSync(full);
      }
    });
  });

  describe('an output that is another file of the command is refused (exit 2)', () => {
    const refused = async (args: string[], ...names: string[]) => {
      const r = await cli(args);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expectOneLine(r, 'is the same file as', ...names);
    };

    it('the sequence file, named another way: it is left as it was', async () => {
      // A copy: should the refusal ever break, the repository's file is not the one overwritten.
      const seq = join(dir, 'seq.yaml'),
        text = readFileSync(join(ROOT, SEQ), 'utf8');
      writeFileSync(seq, text);
      await refused(['seq', seq, '--trace', `${dir}/../${basename(dir)}/seq.yaml`], '--trace', 'the sequence file');
      expect(readFileSync(seq, 'utf8')).to.equal(text);
    });

    it('the replayed report, and the sequence file of a replayed seq report', async () => {
      const seq = join(dir, 'replayed.yaml'),
        report = join(dir, 'seq-report.json');
      writeFileSync(seq, readFileSync(join(ROOT, SEQ), 'utf8'));
      writeFileSync(report, (await cli(['seq', seq, '--mode', 'deterministic', '--json'])).stdout);
      const before = [readFileSync(report, 'utf8'), readFileSync(seq, 'utf8')];
      await refused(['replay', report, '--diagram', report], '--diagram', 'the replayed report');
      await refused(['replay', report, '--trace', `${dir}/./replayed.yaml`], '--trace', "the report's sequence file");
      expect([readFileSync(report, 'utf8'), readFileSync(seq, 'utf8')]).to.deep.equal(before);
    });

    it('--trace and --diagram one file: x against ./x, a symlink, a symlink to a file not there yet', async () => {
      const x = join(dir, 'same.json');
      writeFileSync(x, '');
      await refused(['seq', SEQ, '--trace', x, '--diagram', `${dir}/./same.json`], '--diagram', '--trace');
      symlinkSync(x, join(dir, 'link.json'));
      await refused(['seq', SEQ, '--trace', x, '--diagram', join(dir, 'link.json')], '--diagram', '--trace');
      symlinkSync(join(dir, 'later.json'), join(dir, 'dangling.json'));
      await refused(['seq', SEQ, '--trace', join(dir, 'dangling.json'), '--diagram', join(dir, 'later.json')], '--diagram', '--trace');
    });

    it('the file stdout is redirected to', async () => {
      const file = join(dir, 'both.json');
      const fd = openSync(file, 'w');
      try {
        const r = await cliWithStdout(['seq', SEQ, '--json', '--trace', file], fd);
        expect(r.code).to.equal(2);
        expectOneLine(r, '--trace', 'stdout');
      } finally {
        closeSync(fd);
      }
    });
  });
});
