// Reading a file the user named, safely: only a regular file, at most MAX_INPUT_BYTES, parsed
// as JSON or YAML with bounded nesting and aliases. Every failure is one InputError line naming
// the file; nothing here can block on a FIFO, read /dev/zero forever or overflow the stack.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from './input-error.js';
import { MAX_INPUT_BYTES, MAX_NESTING, MAX_YAML_ALIASES } from './limits.js';

const WHY: Readonly<Record<string, string>> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', ELOOP: 'too many symlinks' };

/** The file's text. O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
export function readInputFile(path: string): string {
  const fail = (why: string) => new InputError(`${path}: cannot read file (${why})`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw fail(WHY[code] ?? (code || (e as Error).message));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw fail('is a directory');
    if (!st.isFile()) throw fail('not a regular file: a FIFO, device or socket');
    if (st.size > MAX_INPUT_BYTES) throw fail(`${st.size} bytes, more than the limit of ${MAX_INPUT_BYTES} (1 MiB)`);
    // One byte more than the cap: a file that grew since fstat is refused, not cut short.
    const buf = Buffer.alloc(MAX_INPUT_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_INPUT_BYTES) throw fail(`more than the limit of ${MAX_INPUT_BYTES} bytes (1 MiB)`);
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  } finally {
    closeSync(fd);
  }
}

/** Is `doc` nested deeper than MAX_NESTING? Walked with a stack of its own, not recursion. */
function tooDeep(doc: unknown): boolean {
  const todo: [unknown, number][] = [[doc, 1]];
  for (let item = todo.pop(); item; item = todo.pop()) {
    const [x, depth] = item;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > MAX_NESTING) return true;
    for (const v of Object.values(x)) todo.push([v, depth + 1]);
  }
  return false;
}

function bounded(doc: unknown, file: string): unknown {
  if (tooDeep(doc)) throw new InputError(`${file}: nested more than ${MAX_NESTING} levels deep`);
  return doc;
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return bounded(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: JSON syntax error: ${(e as Error).message}`);
  }
}

export function parseYamlText(text: string, file: string): unknown {
  // The line comes from a LineCounter: without prettyErrors (whose messages span several
  // lines) the yaml package leaves linePos unset.
  const lineCounter = new LineCounter();
  let doc: unknown;
  try {
    const d = parseDocument(text, { prettyErrors: false, lineCounter });
    const first = d.errors[0];
    // The parser reports its own stack overflow as an error of the document.
    if (first && /call stack/i.test(first.message)) throw new RangeError(first.message);
    if (first) {
      const line = lineCounter.linePos(first.pos[0]).line;
      throw new InputError(`${file}${line ? `:${line}` : ''}: YAML syntax error${line ? ` at line ${line}` : ''}: ${first.message.split('\n')[0]}`);
    }
    doc = d.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    if (e instanceof InputError) throw e;
    // The yaml package throws a ReferenceError for an alias bomb, a RangeError for a stack overflow.
    if (e instanceof RangeError) throw new InputError(`${file}: nested more than ${MAX_NESTING} levels deep`);
    const why = /alias/i.test((e as Error).message) ? `too many YAML aliases (at most ${MAX_YAML_ALIASES} expansions)` : (e as Error).message;
    throw new InputError(`${file}: YAML error: ${why}`);
  }
  return bounded(doc, file);
}

/** A file's document: JSON when its name ends in .json, else YAML. */
export function readDocument(path: string): unknown {
  const text = readInputFile(path);
  return path.toLowerCase().endsWith('.json') ? parseJsonText(text, path) : parseYamlText(text, path);
}
