// A project outside the package that installs it the way a user would: from the packed tarball,
// by name. Neither packing nor installing runs a script: `prepare` would rebuild dist/ while mocha
// runs from it. The tarball is what `npm test` just built. One install serves the whole process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let installed: Promise<string> | null = null;

/** The consumer project's directory, with ioasid-sim installed in its node_modules. */
export function consumerProject(): Promise<string> {
  installed ??= install();
  return installed;
}

async function install(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-consumer-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: PACKAGE_ROOT });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--silent', join(dir, filename)], { cwd: dir });
  return dir;
}
