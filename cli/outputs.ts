// The files a run may write besides its report: `--trace` and `--diagram` (and shrink's `--out`). They are opened
// (created or truncated) before the run starts, so a path that cannot be written costs exit 2 at
// once rather than a lost run; they are written after the report is printed, so a write that
// still fails (a full disk) loses only that file. An output that is the same file as an input,
// as stdout or as the other output is refused before the run.
import { type Stats, closeSync, fstatSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DiagramRecorder } from '../report/diagram.js';
import { InputError } from '../input/input-error.js';
import type { Simulation } from '../sim/simulation.js';
import { TraceRecorder } from '../report/trace-export.js';
import { writeErrorText } from './write-error.js';

export interface OutputFlags {
  readonly trace?: string;
  readonly diagram?: string;
}

/** A file the command reads, which no output may overwrite: `what` names it in the refusal. */
export interface InputFile {
  readonly what: string;
  readonly path: string;
}

export type OutputFlag = '--trace' | '--diagram';

/** One output file after the run: written, or the reason it was not. */
export interface OutputWrite {
  readonly flag: OutputFlag;
  readonly path: string;
  readonly error: string | null;
}

export interface RunOutputs {
  /** Recorders need every actor message published. */
  readonly publishMessages: boolean;
  /** Attach the recorders to a run; a later run replaces the earlier one's recorders. */
  readonly attach: (sim: Simulation) => void;
  /** Write and close the files; failures are returned, not thrown, as the report is already out. */
  readonly write: () => OutputWrite[];
}

interface Output {
  readonly flag: OutputFlag;
  readonly path: string;
  readonly render: (sim: Simulation) => () => string;
}

const inode = (s: Stats) => `inode ${s.dev}:${s.ino}`;

/** What makes two paths one file, symlinks, hard links and `./x` against `x` alike; null if absent. */
function existing(path: string): string | null {
  try {
    return inode(statSync(path));
  } catch {
    return null;
  }
}

/** stdout, when it is redirected to a file an output could also name. */
function stdoutFile(): string | null {
  try {
    const s = fstatSync(1);
    return s.isFile() ? inode(s) : null;
  } catch {
    return null;
  }
}

/** Before anything is opened (opening truncates): no output may be an input or stdout's file. */
function refuseInputs(outputs: readonly { readonly flag: string; readonly path: string }[], inputs: readonly InputFile[]): void {
  const taken = inputs.map((i) => ({ what: `${i.what} ${i.path}`, id: existing(i.path) }));
  taken.push({ what: 'stdout, where the report goes', id: stdoutFile() });
  for (const o of outputs) {
    const id = existing(o.path);
    const clash = id === null ? undefined : taken.find((t) => t.id === id);
    if (clash) throw new InputError(`${o.flag} ${o.path}: is the same file as ${clash.what}; name another file`);
  }
}

/** Once opened, every output exists: two that are one file (a dangling symlink too) show here. */
function refuseSameOutput(outputs: readonly Output[], fds: readonly number[]): void {
  const ids = fds.map((fd) => inode(fstatSync(fd)));
  ids.forEach((id, j) => {
    const i = ids.indexOf(id);
    if (i < j) throw new InputError(`${outputs[j]!.flag} ${outputs[j]!.path}: is the same file as ${outputs[i]!.flag} ${outputs[i]!.path}; name another file`);
  });
}

function open(o: Output): number {
  try {
    return openSync(o.path, 'w');
  } catch (e) {
    throw new InputError(`cannot write ${o.flag} ${o.path}: ${writeErrorText(e)}`);
  }
}

function writeAndClose(fd: number, text: () => string): string | null {
  let error: string | null = null;
  try {
    writeFileSync(fd, text());
  } catch (e) {
    error = writeErrorText(e);
  }
  try {
    closeSync(fd);
  } catch (e) {
    error ??= writeErrorText(e);
  }
  return error;
}

/** Check and open the output files the flags name; `inputs` are the files the command reads. */
export function openOutputs(f: OutputFlags, inputs: readonly InputFile[]): RunOutputs {
  const outputs: Output[] = [];
  if (f.trace !== undefined)
    outputs.push({
      flag: '--trace',
      path: f.trace,
      render: (sim) => {
        const t = new TraceRecorder(sim);
        return () => JSON.stringify(t);
      },
    });
  if (f.diagram !== undefined)
    outputs.push({
      flag: '--diagram',
      path: f.diagram,
      render: (sim) => {
        const d = new DiagramRecorder(sim);
        return () => String(d);
      },
    });
  refuseInputs(outputs, inputs);
  const fds = outputs.map(open);
  refuseSameOutput(outputs, fds);
  let rendered: (() => string)[] = [];
  return {
    publishMessages: outputs.length > 0,
    attach: (sim) => {
      rendered = outputs.map((o) => o.render(sim));
    },
    write: () =>
      outputs.map((o, i) => ({
        flag: o.flag,
        path: o.path,
        // No run attached (it failed before its simulation existed): the file stays empty.
        error: writeAndClose(fds[i]!, rendered[i] ?? (() => '')),
      })),
  };
}

/** The file a command writes as its product (shrink's `--out`): written, or dropped when there is nothing to write. */
export interface ProductFile {
  /** Write and close it; the error, or null. */
  readonly write: (text: string) => string | null;
  /** Close and remove it: the command produced nothing. */
  readonly discard: () => void;
}

/** Check and open (create or truncate) `flag`'s file before the work starts, like --trace. */
export function openProductFile(flag: string, path: string, inputs: readonly InputFile[]): ProductFile {
  refuseInputs([{ flag, path }], inputs);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new InputError(`cannot write ${flag} ${path}: ${writeErrorText(e)}`);
  }
  return {
    write: (text) => writeAndClose(fd, () => text),
    discard: () => {
      closeSync(fd);
      rmSync(path, { force: true });
    },
  };
}
