// Strict parsers for CLI flag values. Each takes the raw string and either returns the value or
// throws commander's InvalidArgumentError, which the CLI turns into one line naming the flag and
// exit code 2. Nothing here is lenient: `--workers 2x`, `--seed 1e3` or `--duration -1` are bad.
import { InvalidArgumentError } from 'commander';
import { MUTANTS, type MutantName, isMutant } from '../actors/env.js';
import { MAX_SHARDS, type SeedRange, type Shard } from '../explore/sweep.js';
import { DURATION_MAX_SEC, SEED_MAX, SWEEP_MAX_SEEDS } from '../input/limits.js';

const INT_RE = /^(0|[1-9][0-9]*)$/;

function integer(raw: string, min: number, max: number): number {
  const n = INT_RE.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
  return n;
}

/** A parser for an integer flag bounded by what the simulated machine can hold. */
export const intIn =
  (min: number, max: number) =>
  (raw: string): number =>
    integer(raw, min, max);

export const parseSeed = intIn(0, SEED_MAX);

/** Seconds, whole or decimal (`0.5`), more than 0 and at most a day. */
export function parseDuration(raw: string): number {
  const n = /^[0-9]+(\.[0-9]+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n > 0 && n <= DURATION_MAX_SEC)) throw new InvalidArgumentError(`expected seconds, a number greater than 0 and at most ${DURATION_MAX_SEC}`);
  return n;
}

/** `A..B`, both ends included, A <= B, at most SWEEP_MAX_SEEDS seeds (a sweep lists its seeds up front). */
export function parseSeedRange(raw: string): SeedRange {
  const m = /^([0-9]+)\.\.([0-9]+)$/.exec(raw);
  if (!m) throw new InvalidArgumentError('expected A..B, e.g. 1..100');
  const from = integer(m[1]!, 0, SEED_MAX),
    to = integer(m[2]!, 0, SEED_MAX);
  if (from > to) throw new InvalidArgumentError(`the range is empty (${from} > ${to})`);
  if (to - from + 1 > SWEEP_MAX_SEEDS)
    throw new InvalidArgumentError(`${to - from + 1} seeds; a sweep runs at most ${SWEEP_MAX_SEEDS} (split the range into several sweeps and merge them)`);
  return { from, to };
}

/** `--shard`: a fixed shard, or `auto` (`auto/N`): the index (and count) from the environment, found when the sweep starts. */
export type ShardFlag = { readonly fixed: Shard } | { readonly auto: { readonly count: number | null } };

/** `I/N`: the I-th of N shards, 1-based; `auto`, or `auto/N`. */
export function parseShard(raw: string): ShardFlag {
  if (raw === 'auto') return { auto: { count: null } };
  const auto = /^auto\/(.*)$/.exec(raw);
  if (auto) return { auto: { count: integer(auto[1]!, 1, MAX_SHARDS) } };
  const m = /^([0-9]+)\/([0-9]+)$/.exec(raw);
  if (!m) throw new InvalidArgumentError('expected I/N (e.g. 2/4, the 2nd of 4 shards), auto or auto/N');
  const count = integer(m[2]!, 1, MAX_SHARDS);
  const index = integer(m[1]!, 1, MAX_SHARDS);
  if (index > count) throw new InvalidArgumentError(`shard index ${index} is beyond the shard count ${count} (shards are 1..${count})`);
  return { fixed: { index, count } };
}

export function parseMutant(raw: string): MutantName {
  if (!isMutant(raw)) throw new InvalidArgumentError(`unknown mutant (known: ${Object.keys(MUTANTS).join(', ')})`);
  return raw;
}

/** A parser accepting one of a fixed set of words. */
export const oneOf =
  <T extends string>(words: readonly T[]) =>
  (raw: string): T => {
    if (!(words as readonly string[]).includes(raw)) throw new InvalidArgumentError(`expected ${words.join(' or ')}`);
    return raw as T;
  };
