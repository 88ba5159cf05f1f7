// The building blocks of every input schema (valibot), each with the message a person reads, and
// the one place a failed check becomes one line naming the file, the step and the field.
import * as v from 'valibot';
import { InputError } from './input-error.js';

/** A value as a message quotes it, kept short. */
export const shown = (x: unknown): string => {
  const s = typeof x === 'number' && !Number.isFinite(x) ? String(x) : (JSON.stringify(x) ?? String(x));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/** An integer in min..max: one message for a wrong type, a fraction and a value out of range. */
export const intIn = (min: number, max: number) => {
  const m = (i: { input: unknown }) => `must be an integer in ${min}..${max} (got ${shown(i.input)})`;
  return v.pipe(v.number(m), v.integer(m), v.minValue(min, m), v.maxValue(max, m));
};

/** A finite number in min..max (`above`: min itself is excluded). */
export const numberIn = (min: number, max: number, above = false) => {
  const m = (i: { input: unknown }) => `must be a number ${above ? 'greater than' : 'at least'} ${min} and at most ${max} (got ${shown(i.input)})`;
  return v.pipe(v.number(m), v.finite(m), above ? v.gtValue(min, m) : v.minValue(min, m), v.maxValue(max, m));
};

export const bool = () => v.boolean((i) => `must be true or false (got ${shown(i.input)})`);
export const text = () => v.string((i) => `must be a string (got ${shown(i.input)})`);

/** One of a fixed set of words; with `noun`, a word outside them is an unknown one of those. */
export const oneOf = <const T extends readonly [string, ...string[]]>(words: T, noun?: string) =>
  v.picklist(words, (i) =>
    noun && typeof i.input === 'string'
      ? `unknown ${noun} ${shown(i.input)} (known: ${words.join(', ')})`
      : `must be ${words.join(' or ')} (got ${shown(i.input)})`,
  );

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A name of a VM, device or step binding: letters, digits, _ . - (not starting with a digit). */
export const name = () =>
  v.pipe(
    v.string((i) => `must be a name (got ${shown(i.input)})`),
    v.regex(NAME_RE, (i) => `must be a name: letters, digits, _ . - (got ${shown(i.input)})`),
  );

/** valibot's objects take a list for an object: a list is no mapping. */
const notList = <const S extends v.GenericSchema>(schema: S, what: (x: unknown) => string) =>
  v.pipe(
    v.custom<unknown>(
      (x) => !Array.isArray(x),
      (i) => what(i.input),
    ),
    schema,
  );

const noMapping = (x: unknown) => `must be a mapping (got ${shown(x)})`;

/** An object schema's own issues: a required field left out (its key is what was expected), or no mapping at all. */
const objectMessage = (i: v.BaseIssue<unknown>, what: (x: unknown) => string) => (i.expected?.startsWith('"') ? 'missing' : what(i.input));

/** The message of an object schema's issues: an unknown field (one of `keys` was expected), a missing one, no mapping. */
export const mappingMessage =
  (keys: readonly string[]) =>
  (i: v.BaseIssue<unknown>): string =>
    i.expected === 'never' ? `unknown field (expected ${keys.join(', ')})` : objectMessage(i, noMapping);

/** A mapping with exactly these fields (the optional ones may be left out). */
export const mapping = <const E extends v.ObjectEntries>(entries: E) => notList(v.strictObject(entries, mappingMessage(Object.keys(entries))), noMapping);

/** A mapping that may hold more fields than these (a report written by a newer version); `what` says what it should have been. */
export const record = <const E extends v.ObjectEntries>(entries: E, what = noMapping) =>
  notList(
    v.looseObject(entries, (i) => objectMessage(i, what)),
    what,
  );

/** A list of at most `max` items, at least `min`. */
export const list = <const T extends v.GenericSchema>(item: T, min: number, max: number) => {
  const m = (i: { input: unknown }) =>
    `must be a list of ${min > 0 ? `${min}..${max}` : `at most ${max}`} items (got ${Array.isArray(i.input) ? `${i.input.length} items` : shown(i.input)})`;
  return v.pipe(v.array(item, m), v.minLength(min, m), v.maxLength(max, m));
};

export type Key = string | number;

/** A field's path as a person writes it: `machine.vms[0].pages`. */
const fieldPath = (keys: readonly Key[]): string => keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/**
 * One line naming where in `file` the problem is. A path into `steps` names the step by its
 * index, as every other message about a sequence file's steps does.
 */
export function inputLine(file: string, keys: readonly Key[], message: string): string {
  if (keys[0] === 'steps' && typeof keys[1] === 'number') {
    const rest = fieldPath(keys.slice(2));
    return `${file}: step ${keys[1]}${rest ? `, field '${rest}'` : ''}: ${message}`;
  }
  return `${file}: ${keys.length ? `field '${fieldPath(keys)}': ` : ''}${message}`;
}

/** `doc` checked against `schema`: its output, or an InputError naming the first problem. */
export function parseWith<const S extends v.GenericSchema>(schema: S, doc: unknown, file: string): v.InferOutput<S> {
  const r = v.safeParse(schema, doc, { abortEarly: true });
  if (r.success) return r.output;
  const issue = r.issues[0];
  // An unknown field's issue sits at the field itself; the others at the value.
  const keys = (issue.path ?? []).map((p) => p.key as Key);
  throw new InputError(inputLine(file, keys, issue.message));
}
