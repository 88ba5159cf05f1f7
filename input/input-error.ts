// Bad input: a one-line message naming what is wrong and where (file, step index, field, flag).
// The CLI prints it and exits 2; it never shows a stack trace.
import { readFileSync } from 'node:fs';

export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Read a file the user named; any failure is bad input naming the file. */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message);
    throw new InputError(`${path}: cannot read file (${why})`);
  }
}
