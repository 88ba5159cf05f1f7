// The layers: every folder has a rank, and a file may import only its own folder or a folder of
// strictly lower rank (npm packages and node: builtins are free). This reads the sources the
// build compiles (tsconfig's include), so a new folder fails here until it gets a rank.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Lower ranks know nothing of higher ones. A root-level file is its own layer. */
const RANKS: Readonly<Record<string, number>> = {
  hardware: 0,
  input: 0,
  actors: 1,
  workers: 1,
  invariants: 2,
  uapi: 2,
  machine: 3,
  sim: 4,
  report: 5,
  sequence: 6,
  scenarios: 6,
  explore: 7,
  api: 8,
  cli: 9,
  'index.ts': 9,
  bin: 10,
  bench: 10,
  examples: 10,
  test: 11,
};

/** Where nact may be used besides the one facade file: the tests check the facade against nact, the bench measures bare nact as its baseline, and the example is an embedder with its own nact system. */
const NACT_USERS_BY_DESIGN = ['test', 'bench', 'examples'];

/** The layer of a path relative to the root: its top folder, or the file itself at the root. */
const layerOf = (path: string): string => path.split('/')[0]!.replace(/\.js$/, '.ts');

/** What is wrong with `file` importing `specifier`, or null if the import is allowed. */
function layerViolation(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null; // an npm package or a node: builtin
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (target.startsWith('../')) return `${file} imports '${specifier}', outside the repository`;
  const from = layerOf(file);
  const to = layerOf(target);
  if (from === to) return null;
  const [rf, rt] = [RANKS[from], RANKS[to]];
  if (rt === undefined) return `${file} imports '${specifier}': ${to} has no rank`;
  if (rf !== undefined && rt < rf) return null;
  return `${file} imports '${specifier}': ${to} (rank ${rt}) is not below ${from} (rank ${rf})`;
}

function sourceFiles(): string[] {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile) as { config: { include: string[] } };
  const files: string[] = [];
  const walk = (abs: string) => {
    if (statSync(abs).isDirectory()) for (const e of readdirSync(abs)) walk(join(abs, e));
    else if (abs.endsWith('.ts')) files.push(relative(ROOT, abs).split(sep).join('/'));
  };
  for (const entry of config.include) walk(join(ROOT, entry));
  return files.sort();
}

/** Every module a file names: static and dynamic imports, re-exports, require(). */
const importsOf = (file: string): string[] => ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true).importedFiles.map((f) => f.fileName);

/** Does the file name the nact package anywhere in its code (an import, or a require of one of nact's files)? Comments do not count. */
function namesNact(file: string): boolean {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  const visit = (n: ts.Node): boolean =>
    (ts.isStringLiteralLike(n) && (n.text === 'nact' || n.text.startsWith('nact/'))) || (ts.forEachChild(n, visit) ?? false);
  return visit(source);
}

describe('layers', () => {
  const files = sourceFiles();

  it('reads the sources: every ranked folder has files, every file is in a ranked folder', () => {
    const layers = new Set(files.map(layerOf));
    expect(
      [...layers].filter((l) => RANKS[l] === undefined),
      'folders without a rank',
    ).to.deep.equal([]);
    expect(
      Object.keys(RANKS).filter((l) => !layers.has(l)),
      'ranked folders with no file read',
    ).to.deep.equal([]);
  });

  it('the rule: own folder and lower ranks pass; same rank, higher rank and outside the repository fail', () => {
    expect(layerViolation('sim/strategies/pct.ts', '../prng.js')).to.equal(null);
    expect(layerViolation('sim/mode.ts', '../machine/machine.js')).to.equal(null);
    expect(layerViolation('index.ts', './api/embedding.js')).to.equal(null);
    expect(layerViolation('hardware/engine.ts', 'node:worker_threads')).to.equal(null);
    expect(layerViolation('uapi/ops.ts', '../sim/simulation.js')).to.equal(
      "uapi/ops.ts imports '../sim/simulation.js': sim (rank 4) is not below uapi (rank 2)",
    );
    expect(layerViolation('hardware/engine.ts', '../input/input-error.js')).to.match(/input \(rank 0\) is not below hardware \(rank 0\)/);
    expect(layerViolation('api/embedding.ts', '../index.js')).to.match(/index\.ts \(rank 9\) is not below api \(rank 8\)/);
    expect(layerViolation('cli/cli.ts', '../../elsewhere/x.js')).to.match(/outside the repository/);
  });

  it('no file imports a folder of its own rank or higher', () => {
    const bad = files.flatMap((f) =>
      importsOf(f)
        .map((s) => layerViolation(f, s))
        .filter((v): v is string => v !== null),
    );
    expect(bad, bad.join('\n')).to.deep.equal([]);
  });

  it('exactly one file of the library imports nact: the facade', () => {
    const users = files.filter((f) => !NACT_USERS_BY_DESIGN.includes(layerOf(f)) && namesNact(f));
    expect(users, `files that import nact: ${users.join(', ')}`).to.have.length(1);
  });
});
