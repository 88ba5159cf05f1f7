// replay says what it found: when it reproduces a report it exits 0 with its own verdict last,
// the replayed run's summary framed as what that run showed (never a FAILED verdict of its
// own), and the command line that gives the found report again, which this test runs. When it
// does not reproduce, it exits 1 with one line saying so.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, cli, oneJson } from './cli-process.js';

interface Report {
  kind: string;
  seed: number;
  ok: boolean;
  mode: string;
  schedule?: { strategy: string; pathHash: number };
  violations: { invariant: string; at?: number }[];
  params?: Record<string, unknown>;
}
interface Outcome {
  reproduced: boolean;
  command: string | null;
  replayed: { invariant: string; at: number; seed: number; strategy: string } | null;
}

const DETERMINISTIC_RUN = [
  'run',
  'teardown-race',
  '--mode',
  'deterministic',
  '--strategy',
  'pct',
  '--duration',
  '0.03',
  '--seed',
  '4',
  '--mutant',
  'skip-drain',
  '--json',
];

/** The printed `run it again:` line as arguments to the CLI (its words need no shell quoting). */
function againArgs(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('run it again: '));
  expect(line, stdout).to.be.a('string');
  const words = line!.slice('run it again: '.length).split(' ');
  expect(words[0]).to.equal('ioasid-sim');
  return words.slice(1);
}

/** A reproduced replay's text: the framed summary, the command, the verdict last, exit 0. */
function expectReproducedText(r: CliResult): void {
  expect(r.code, r.stdout + r.stderr).to.equal(0);
  expect(r.stderr).to.equal('');
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).to.equal('the replayed run showed:');
  expect(r.stdout).not.to.match(/FAILED/);
  expect(r.stdout).not.to.match(/^result: /m);
  expect(lines.at(-1)).to.match(/^reproduced: .*\(exit 0\)$/);
}

describe('CLI replay: what it found, and how to run it again', function () {
  this.timeout(120_000);
  let dir = '';
  let report: Report;
  const file = (name: string, r: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(r));
    return f;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-replay-'));
    report = oneJson<Report>(await cli(DETERMINISTIC_RUN));
    expect(report.ok).to.equal(false);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a deterministic report: reproduced, framed, and the command gives the same report', async () => {
    const r = await cli(['replay', file('det.json', report)]);
    expectReproducedText(r);
    expect(r.stdout).to.include(`reproduced: ${report.violations[0]!.invariant} at scheduler step ${report.violations[0]!.at}`);
    const again = oneJson<Report>(await cli([...againArgs(r.stdout), '--json']));
    expect(again.violations[0]).to.deep.equal(report.violations[0]);
    expect(again.schedule).to.deep.equal(report.schedule);
  });

  it('a real-thread report: the seed search prints the run command with the seed it found', async () => {
    // The deterministic report passed off as a real-thread one, so the search is quick and sure.
    const { schedule: _, ...rest } = report;
    const threads = { ...rest, mode: 'threads', seed: 2, violations: rest.violations.map(({ at: _at, ...v }) => v) };
    const r = await cli(['replay', file('threads.json', threads)]);
    expectReproducedText(r);
    const args = againArgs(r.stdout);
    const json = oneJson<Outcome>(await cli(['replay', file('threads.json', threads), '--json']));
    expect(json.reproduced).to.equal(true);
    expect(json.command).to.equal(`ioasid-sim ${args.join(' ')}`);
    expect(args.slice(args.indexOf('--seed'), args.indexOf('--seed') + 2)).to.deep.equal(['--seed', String(json.replayed!.seed)]);
    const found = oneJson<Report>(await cli([...args, '--json']));
    expect(found.violations[0]).to.deep.include({ invariant: json.replayed!.invariant, at: json.replayed!.at });
  });

  it('not reproduced (another scheduler step): exit 1, one line', async () => {
    const tampered = { ...report, violations: [{ ...report.violations[0]!, at: 1 }] };
    const r = await cli(['replay', file('tampered.json', tampered)]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('');
    expect(r.stdout.trimEnd().split('\n'), r.stdout).to.have.length(1);
    expect(r.stdout).to.match(/^NOT reproduced: .*\(exit 1\)\n$/);
  });

  it('not reproduced by the seed search: exit 1, one line', async () => {
    // No mutant: nothing can break the invariant the report claims.
    const { schedule: _, ...rest } = report;
    const clean = { ...rest, mode: 'threads', mutant: null, violations: [{ invariant: 'use-after-free', detail: 'claimed', step: null }] };
    const r = await cli(['replay', file('claimed.json', clean), '--budget', '1']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(/^NOT reproduced: no deterministic run showed use-after-free within 2 executions.*\(exit 1\)\n$/);
  });
});
