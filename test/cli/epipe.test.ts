// A reader that goes away (`ioasid-sim list | head -1`) is no error: the CLI drops what is left
// to print, writes its files, and ends with the exit code the command would have had, with no
// stack trace. Here the reader is gone before the first write, so every write meets EPIPE.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './cli-process.js';

type Stream = 'stdout' | 'stderr';
interface Result {
  readonly code: number | null;
  readonly signal: string | null;
  readonly kept: string;
}

/** Run the CLI with the reader of `gone` closed at once; `kept` is what the other stream got. */
function readerGone(args: readonly string[], gone: Stream): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child[gone].destroy();
    let kept = '';
    child[gone === 'stdout' ? 'stderr' : 'stdout'].setEncoding('utf8').on('data', (d: string) => {
      kept += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, kept }));
  });
}

describe('CLI: a reader that goes away (EPIPE)', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-epipe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('list | head -1: exit 0, nothing on stderr', async () => {
    const r = await readerGone(['list'], 'stdout');
    expect(r).to.deep.equal({ code: 0, signal: null, kept: '' });
  });

  it("run --json | head -c 10: the run's own exit code, and its trace still written", async () => {
    const trace = join(dir, 'gone.trace.json');
    const r = await readerGone(
      ['run', 'teardown-race', '--mode', 'deterministic', '--duration', '0.02', '--mutant', 'skip-drain', '--json', '--trace', trace],
      'stdout',
    );
    expect(r).to.deep.equal({ code: 1, signal: null, kept: '' });
    expect((JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: unknown[] }).traceEvents).to.not.be.empty;
  });

  it('stderr gone: the summary is whole on stdout, exit 0', async () => {
    // Without --json, a written trace is logged on stderr.
    const r = await readerGone(['seq', 'sequences/agreed-order.yaml', '--trace', join(dir, 'seq.trace.json')], 'stderr');
    expect(r.code).to.equal(0);
    expect(r.kept).to.match(/result: CLEAN.*\(exit 0\)\n$/);
    expect(r.kept).not.to.match(/\n\s+at /);
  });
});
