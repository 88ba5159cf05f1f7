// What the mutation hunt (test/hunt/*.hunt.ts, `npm run mutation`) runs: tables.hunt.ts calls
// the hardware tables' own functions and checks what they answer; every other case is a small
// deterministic run that must come out clean, so a mutant is killed when the auditor's verdict
// on some run changes (a violation, an unmet expect, a failed call, a leak after fail-nth, or
// nothing raced). Deterministic mode keeps the engines on the main thread, where Stryker's
// active mutant is visible (worker threads would run the unmutated code).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModeOptions } from '../../sim/mode.js';

export const RANDOM: ModeOptions = { mode: 'deterministic', strategy: 'random', pctDepth: 3 };

/** A small machine and a short virtual run: about 10 000 scheduler steps, a fraction of a second. */
export const SMALL = { durationSec: 0.01, vms: 1, devices: 2, pasids: 2, workers: 2 } as const;

// Compiled to dist/test/hunt/: the folder is three levels up.
export const SEQUENCES_DIR = fileURLToPath(new URL('../../../sequences/', import.meta.url));
export const SEQUENCE_FILES = readdirSync(SEQUENCES_DIR)
  .filter((f) => /\.(ya?ml|json)$/i.test(f))
  .sort();
