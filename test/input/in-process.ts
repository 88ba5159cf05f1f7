// The CLI's main() run inside the test process, its stdout and stderr captured: the same code
// path as bin/ioasid-sim.js (which only calls main), without a node start-up per case, so a
// corpus of hundreds of bad inputs runs in seconds on a loaded machine. Each call is bounded in
// time, so an input that hangs fails its case instead of the suite.
import { main } from '../../cli/cli.js';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type Write = typeof process.stdout.write;

/** Swap a stream's write for one that collects, calling back as a real write does. */
function capture(stream: NodeJS.WriteStream, into: string[]): Write {
  const real = stream.write;
  stream.write = ((chunk: string | Uint8Array, a?: unknown, b?: unknown) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = typeof a === 'function' ? a : typeof b === 'function' ? b : null;
    if (cb) queueMicrotask(() => (cb as (e?: Error | null) => void)(null));
    return true;
  }) as Write;
  return real;
}

/** Run one command line; a run that has not ended after `timeoutMs` rejects. */
export async function runCli(argv: readonly string[], timeoutMs = 20_000): Promise<InProcessResult> {
  const out: string[] = [],
    err: string[] = [];
  const realOut = capture(process.stdout, out);
  const realErr = capture(process.stderr, err);
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      main(argv),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`ioasid-sim ${argv.join(' ')} did not end within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    clearTimeout(timer);
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
}
