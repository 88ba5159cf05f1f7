// The bad-input corpus of the CLI: sequence files, command lines, reports for replay and merge.
// Every case must exit 2 with nothing on stdout and exactly one stderr line that names the file
// and the field (or the flag), no stack trace, within its time bound: a hang fails the case.
// The cases run in this process (main() with captured stdio); one runs the real executable,
// to show the in-process path is the one users get.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/cli-process.js';
import { FLAG_CASES } from './flag-cases.js';
import { runCli } from './in-process.js';
import { MERGE_CASES, REPLAY_CASES } from './report-cases.js';
import { type FileCase, SEQUENCE_CASES } from './sequence-cases.js';
import { API_CASE_COUNT } from './api-cases.js';

/** Each case's bound: generous for a loaded machine, far below what a hang would take. */
const CASE_MS = 20_000;

function expectOneLine(r: { code: number | null; stdout: string; stderr: string }, line: RegExp, names: readonly string[] = []): void {
  expect(r.code, r.stderr).to.equal(2);
  expect(r.stdout).to.equal('');
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^ioasid-sim: /);
  expect(lines[0]).not.to.match(/\bat .*:\d+:\d+/); // no stack frame
  for (const n of names) expect(lines[0]).to.include(n);
  expect(lines[0]).to.match(line);
}

describe('bad-input corpus: the CLI', function () {
  this.timeout(CASE_MS + 5000);
  let dir = '';
  const path = (c: FileCase) => join(dir, c.file);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ioasid-sim-corpus-'));
    for (const c of [...SEQUENCE_CASES, ...REPLAY_CASES, ...MERGE_CASES]) {
      if (c.content === 'fifo') execFileSync('mkfifo', [path(c)]);
      else writeFileSync(path(c), c.content);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds at least 150 bad inputs, each with its own name', () => {
    const names = (cs: readonly { name: string }[]) => new Set(cs.map((c) => c.name)).size;
    expect(names(SEQUENCE_CASES)).to.equal(SEQUENCE_CASES.length);
    expect(names(REPLAY_CASES) + names(MERGE_CASES)).to.equal(REPLAY_CASES.length + MERGE_CASES.length);
    expect(names(FLAG_CASES)).to.equal(FLAG_CASES.length);
    const total = SEQUENCE_CASES.length + REPLAY_CASES.length + MERGE_CASES.length + FLAG_CASES.length + API_CASE_COUNT;
    expect(total).to.be.at.least(150);
  });

  describe('sequence files (seq and failnth)', () => {
    for (const c of SEQUENCE_CASES) it(c.name, async () => expectOneLine(await runCli(['seq', path(c)], CASE_MS), c.line, [path(c)]));
    // failnth reads files through the same checks.
    for (const c of SEQUENCE_CASES.slice(0, 8))
      it(`failnth: ${c.name}`, async () => expectOneLine(await runCli(['failnth', path(c)], CASE_MS), c.line, [path(c)]));
  });

  describe('reports given to replay', () => {
    for (const c of REPLAY_CASES) it(c.name, async () => expectOneLine(await runCli(['replay', path(c)], CASE_MS), c.line, [path(c)]));
  });

  describe('reports given to merge', () => {
    for (const c of MERGE_CASES) it(c.name, async () => expectOneLine(await runCli(['merge', path(c)], CASE_MS), c.line, [path(c)]));
  });

  describe('flags', () => {
    for (const c of FLAG_CASES) it(c.name, async () => expectOneLine(await runCli(c.argv, CASE_MS), c.line));
  });

  it('the executable answers as main() does (a FIFO, in a real process)', async () => {
    const fifo = SEQUENCE_CASES.find((c) => c.content === 'fifo')!;
    expectOneLine(await cli(['seq', path(fifo)], CASE_MS), fifo.line, [path(fifo)]);
  });
});
