// The files a run may write besides its report: `--trace` and `--diagram`. Their paths are
// checked before the run starts, so a typo costs exit 2 at once rather than a lost run.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DiagramRecorder } from '../report/diagram.js';
import { InputError } from '../input/input-error.js';
import type { Simulation } from '../sim/simulation.js';
import { TraceRecorder } from '../report/trace-export.js';

export interface OutputFlags { readonly trace?: string; readonly diagram?: string }

export interface RunOutputs {
  /** Recorders need every actor message published. */
  readonly publishMessages: boolean;
  readonly attach: (sim: Simulation) => void;
  /** Write the files; returns what was written, for the log. */
  readonly write: () => string[];
}

function checkWritable(flag: string, path: string): void {
  const full = resolve(path);
  const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return null; } };
  if (isDir(full) === true) throw new InputError(`${flag} ${path}: is a directory, expected a file name`);
  if (isDir(dirname(full)) !== true) throw new InputError(`${flag} ${path}: cannot write there (no such directory: ${dirname(full)})`);
}

export function runOutputs(f: OutputFlags): RunOutputs {
  if (f.trace !== undefined) checkWritable('--trace', f.trace);
  if (f.diagram !== undefined) checkWritable('--diagram', f.diagram);
  let trace: TraceRecorder | null = null;
  let diagram: DiagramRecorder | null = null;
  return {
    publishMessages: f.trace !== undefined || f.diagram !== undefined,
    attach: (sim) => {
      if (f.trace !== undefined) trace = new TraceRecorder(sim);
      if (f.diagram !== undefined) diagram = new DiagramRecorder(sim);
    },
    write: () => {
      const written: string[] = [];
      if (f.trace !== undefined && trace) { writeFileSync(f.trace, JSON.stringify(trace)); written.push(`trace: ${f.trace}`); }
      if (f.diagram !== undefined && diagram) { writeFileSync(f.diagram, String(diagram)); written.push(`diagram: ${f.diagram}`); }
      return written;
    },
  };
}
