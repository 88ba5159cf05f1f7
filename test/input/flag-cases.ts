// Bad command lines: each flag with values it must refuse, each with the line it must give.

export interface FlagCase {
  readonly name: string;
  readonly argv: readonly string[];
  readonly line: RegExp;
}

const RUN = ['run', 'teardown-race'];
const DET = ['--mode', 'deterministic'];
const SWEEP = ['sweep', 'teardown-race'];
const SEQ = ['seq', 'sequences/agreed-order.yaml'];

/** [flag, bad values, the command it is given to]. */
const BAD_VALUES: readonly [string, readonly string[], readonly string[]][] = [
  ['--seed', ['-1', '1e3', '0x10', '4294967296', '99999999999', '1.5', 'abc', ''], RUN],
  ['--duration', ['0', '-1', '86401', 'abc', '1e2', '.5', 'NaN'], RUN],
  ['--vms', ['0', '9', 'two'], RUN],
  ['--devices', ['0', '9'], RUN],
  ['--pasids', ['0', '65'], RUN],
  ['--workers', ['0', '65', '2x', '-2'], RUN],
  ['--mode', ['fast', ''], RUN],
  ['--mutant', ['skip-everything'], RUN],
  ['--strategy', ['dfs'], [...RUN, ...DET]],
  ['--pct-depth', ['0', '65', 'deep'], [...RUN, ...DET, '--strategy', 'pct']],
  ['--seeds', ['0..4294967295', '1..100001', '5..2', 'a..b', '1-5', '..3'], SWEEP],
  ['--shard', ['0/2', '3/2', 'x', '1/0'], [...SWEEP, '--seeds', '1..4']],
  ['--seed', ['4294967296', '-3'], SEQ],
  ['--budget', ['0', '1001'], ['replay', 'sequences/agreed-order.yaml']],
];

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const FLAG_CASES: readonly FlagCase[] = [
  ...BAD_VALUES.flatMap(([flag, values, command]) =>
    values.map(
      (value): FlagCase => ({ name: `${command[0]} ${flag} ${JSON.stringify(value)}`, argv: [...command, flag, value], line: new RegExp(escaped(flag)) }),
    ),
  ),
  { name: 'failnth --seed beyond 32 bits', argv: ['failnth', 'sequences/agreed-order.yaml', '--seed', '4294967296'], line: /--seed/ },
  { name: 'a flag of another command', argv: [...RUN, '--seeds', '1..2'], line: /unknown option '--seeds'/ },
  { name: 'a flag without its value', argv: [...RUN, '--seed'], line: /--seed.*argument missing/ },
  { name: 'an unknown flag', argv: [...RUN, '--frobnicate'], line: /unknown option '--frobnicate'/ },
  { name: 'an unknown command', argv: ['replay-all'], line: /unknown command 'replay-all'/ },
  { name: 'no command', argv: [], line: /missing command/ },
  { name: 'an unknown scenario', argv: ['run', 'nope'], line: /unknown scenario 'nope'/ },
  { name: 'merge of nothing', argv: ['merge'], line: /missing required argument 'reports'/ },
  { name: '--strategy in threads mode', argv: [...RUN, '--strategy', 'pct'], line: /--strategy/ },
  { name: '--keep-going in threads mode', argv: [...RUN, '--keep-going'], line: /--keep-going/ },
];
