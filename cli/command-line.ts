// The `run` or `seq` command line that gives a deterministic report again: what replay prints so
// that what it found can be run, traced and debugged directly. Every flag that shaped the run is
// spelt out, so the line does not depend on today's defaults.
import type { RunReport } from '../report/report.js';

/** The report's `params` of a `run` and the flags that set them. */
const RUN_FLAGS: Record<string, string> = { durationSec: '--duration', vms: '--vms', devices: '--devices', pasids: '--pasids', uapi: '--uapi' };

/** A word as a POSIX shell reads it back unchanged. */
const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);

/** The command line whose report is `r`, or null for a real-thread report (it cannot be replayed). */
export function commandLineOf(r: RunReport): string | null {
  if (r.mode !== 'deterministic' || !r.schedule) return null;
  const words = ['ioasid-sim', r.kind, r.kind === 'run' ? r.scenario : (r.file ?? r.scenario), '--mode', 'deterministic', '--strategy', r.schedule.strategy];
  if (r.schedule.strategy === 'pct') words.push('--pct-depth', String(r.schedule.pctDepth));
  words.push('--seed', String(r.seed));
  if (r.kind === 'run') {
    for (const [key, value] of Object.entries(r.params ?? {})) {
      if (key === 'keepGoing') {
        if (value === true) words.push('--keep-going');
        continue;
      }
      const flag = RUN_FLAGS[key];
      if (flag === undefined) throw new Error(`report param '${key}' has no run flag`);
      words.push(flag, String(value));
    }
    words.push('--workers', String(r.workers));
  }
  if (r.mutant !== null) words.push('--mutant', r.mutant);
  return words.map(shellWord).join(' ');
}
