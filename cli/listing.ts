// `list`: what the simulator knows, each with one line of meaning, read from the registries
// themselves (SCENARIOS, MUTANTS, INVARIANTS, the op table) so it can never drift from the code.
import { MUTANTS } from '../actors/env.js';
import { INVARIANTS } from '../invariants/catalog.js';
import { SCENARIOS } from '../scenarios/builtins.js';
import { STEP_OPS } from '../sequence/ops.js';
import { VERSION } from '../report/report.js';
import { formatTable } from '../report/text-table.js';

export interface Listing {
  readonly tool: 'ioasid-sim';
  readonly version: string;
  readonly kind: 'list';
  readonly scenarios: { name: string; summary: string }[];
  readonly mutants: { name: string; meaning: string }[];
  readonly invariants: { id: string; meaning: string }[];
  readonly ops: { name: string; summary: string; args: { name: string; kind: string; default?: number }[]; binds: string | null; outcomes: string[] }[];
}

export function listing(): Listing {
  return {
    tool: 'ioasid-sim',
    version: VERSION,
    kind: 'list',
    scenarios: SCENARIOS.map((s) => ({ name: s.name, summary: s.summary })),
    mutants: Object.entries(MUTANTS).map(([name, meaning]) => ({ name, meaning })),
    invariants: Object.entries(INVARIANTS).map(([id, meaning]) => ({ id, meaning })),
    ops: STEP_OPS.map((o) => ({
      name: o.name,
      summary: o.summary,
      args: o.args.map((a) => ({ name: a.name, kind: a.kind, ...(a.default !== undefined ? { default: a.default } : {}) })),
      binds: o.binds ?? null,
      outcomes: [...(o.outcomes ?? [])],
    })),
  };
}

/** How a step of this op is written: `bind_pgtbl fd ioasid [pages=16]`. */
const usage = (o: Listing['ops'][number]) => [o.name, ...o.args.map((a) => (a.default !== undefined ? `[${a.name}=${a.default}]` : a.name))].join(' ');

export function formatListing(l: Listing): string {
  return [
    'scenarios (ioasid-sim run <scenario>):',
    formatTable(
      ['name', 'meaning'],
      l.scenarios.map((s) => [s.name, s.summary]),
    ),
    '',
    'mutants (--mutant NAME: one deliberate bug the checkers must catch):',
    formatTable(
      ['name', 'meaning'],
      l.mutants.map((m) => [m.name, m.meaning]),
    ),
    '',
    'invariants (ids used in reports):',
    formatTable(
      ['id', 'meaning'],
      l.invariants.map((i) => [i.id, i.meaning]),
    ),
    '',
    'ops (steps of a sequence file):',
    formatTable(
      ['op', 'meaning'],
      l.ops.map((o) => [usage(o), o.summary]),
    ),
  ].join('\n');
}
