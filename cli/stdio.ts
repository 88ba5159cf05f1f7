// The CLI's stdout and stderr. A reader that goes away (`ioasid-sim list | head -1`) is not an
// error: what is left to print is dropped quietly and the command ends with its own exit code.
// Any other failure to write stdout (`--json > /full/disk/r.json`) loses the report, so it is
// one line on stderr and the caller learns of it from stdoutFailure().
import { writeErrorText } from './write-error.js';

interface Sink {
  gone: boolean;
}
const stdout: Sink = { gone: false },
  stderr: Sink = { gone: false };
let installed = false;
let lostReport: string | null = null;

function write(stream: NodeJS.WriteStream, sink: Sink, s: string): void {
  if (!sink.gone) stream.write(s.endsWith('\n') ? s : `${s}\n`);
}

export const out = (s: string): void => write(process.stdout, stdout, s);
export const log = (s: string): void => write(process.stderr, stderr, s);

function stdoutFailed(e: NodeJS.ErrnoException): void {
  if (stdout.gone) return; // later writes of a destroyed stream fail too: the first error says it
  stdout.gone = true;
  if (e.code === 'EPIPE') return;
  lostReport = writeErrorText(e);
  log(`ioasid-sim: cannot write stdout: ${lostReport}`);
}

/** Catch write errors of both streams (once per process): without a listener they crash it. */
export function guardStdio(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', stdoutFailed);
  process.stderr.on('error', () => {
    stderr.gone = true;
  });
}

/** Resolves once everything written so far has reached stdout's file or pipe, or failed to. */
export function flushStdout(): Promise<void> {
  if (stdout.gone || process.stdout.destroyed) return Promise.resolve();
  // The callback hears of a failure before the stream's 'error' event does.
  return new Promise((resolve) => {
    process.stdout.write('', (e) => {
      if (e) stdoutFailed(e);
      resolve();
    });
  });
}

/** Why the report could not be written to stdout (a reader going away is no failure), or null. */
export const stdoutFailure = (): string | null => lostReport;
