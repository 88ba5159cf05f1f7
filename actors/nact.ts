// The one file that touches nact: its API and the internals the runtime builds on (an Actor's
// delivery methods and fields, the system registry). nact is pinned (7.6.2) and none of these
// internals are public, so this module checks them all as it loads: a nact without one of them
// fails at once, with one line naming its version and what is missing, instead of as a hang.
import { createRequire } from 'node:module';
import nact from 'nact';

const require = createRequire(import.meta.url);

/** The nact version this project is written against (package.json pins it). */
export const PINNED_NACT = '7.6.2';

/** The parts of nact's Actor (nact/lib/actor.js) a delivery touches. */
export interface NactActor {
  readonly system: { readonly name: string };
  readonly name: string;
  /** Set while a message is being handled: nact then queues the rest in the mailbox. */
  busy: boolean;
  state: unknown;
  readonly stopped: boolean;
  dispatch(message: unknown): void;
  /** Called by nact for an idle actor; the runtime replaces it with its own delivery. */
  handleMessage(message: unknown, sender: unknown): void;
  afterMessage(): void;
  /** Takes the next queued message, or marks the actor idle. */
  processNext(): void;
}

/** What the runtime does when an actor stops: `mailbox` is the mail still queued. */
export type AfterStop = (state: unknown, ctx: { readonly mailbox: ReadonlyArray<{ readonly message: unknown }> }) => void;

/** The parts of nact's system registry (nact/lib/system-map.js) used. */
interface SystemMap {
  find(system: string): { addTempReference(port: { id: number }, deferral: unknown): void };
  find(system: string, ref: unknown): unknown;
}

/** What the check looks at: nact's modules, and a system with one actor spawned by them. */
export interface NactParts {
  readonly version: unknown;
  /** `nact` */
  readonly api: unknown;
  /** `Actor` of nact/lib/actor.js */
  readonly actorClass: unknown;
  /** nact/lib/system-map.js */
  readonly systemMap: unknown;
  /** The sample as the registry finds it (`system`, and `actor` behind `ref`), or why spawning it failed. */
  readonly sample:
    | { readonly system: unknown; readonly ref: unknown; readonly actor: unknown; readonly name: string; readonly initialState: unknown }
    | { readonly failed: string };
}

const FUNCTIONS: ReadonlyArray<[keyof NactParts, string, readonly string[]]> = [
  ['api', 'nact', ['start', 'stop', 'spawn', 'dispatch']],
  ['systemMap', 'nact/lib/system-map', ['find']],
];
const ACTOR_METHODS = ['dispatch', 'handleMessage', 'afterMessage', 'processNext', 'stop'] as const;

const field = (o: unknown, key: string): unknown =>
  (typeof o === 'object' || typeof o === 'function') && o !== null ? (o as Record<string, unknown>)[key] : undefined;

/** What of nact the runtime relies on but `parts` lacks (empty when nothing). */
export function missingNactParts(parts: NactParts): string[] {
  const missing: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) missing.push(what);
  };
  for (const [part, where, names] of FUNCTIONS) for (const n of names) need(typeof field(parts[part], n) === 'function', `${where}.${n}()`);
  const proto = field(parts.actorClass, 'prototype');
  for (const m of ACTOR_METHODS) need(typeof field(proto, m) === 'function', `Actor.prototype.${m}()`);
  const s = parts.sample;
  if ('failed' in s) {
    missing.push(`a working spawn (${s.failed})`);
    return missing;
  }
  need(typeof field(s.system, 'addTempReference') === 'function', "the system's addTempReference()");
  need(typeof field(field(s.ref, 'system'), 'name') === 'string' && field(s.ref, 'name') === s.name, "a ref's system.name and name");
  if (typeof parts.actorClass !== 'function' || !(s.actor instanceof (parts.actorClass as new () => unknown))) {
    missing.push('system-map find(system, ref) giving the Actor');
  } else {
    need(typeof field(s.actor, 'busy') === 'boolean', 'Actor.busy');
    need(typeof field(s.actor, 'stopped') === 'boolean', 'Actor.stopped');
    need(field(s.actor, 'state') === s.initialState, 'Actor.state (from the initialState option)');
    need(typeof field(field(s.actor, 'system'), 'name') === 'string' && field(s.actor, 'name') === s.name, 'Actor.system.name and Actor.name');
  }
  return missing;
}

/** Throws one Error, one line, if `parts` lacks anything the runtime relies on. */
export function checkNact(parts: NactParts): void {
  const missing = missingNactParts(parts);
  if (missing.length === 0) return;
  const version = typeof parts.version === 'string' ? `nact ${parts.version}` : 'nact (version unreadable)';
  throw new Error(`${version} lacks what ioasid-sim's actors/nact.ts relies on (written against nact ${PINNED_NACT}): ${missing.join(', ')}`);
}

const start = nact.start as unknown as (o: { name: string }) => unknown; // typings say start(name)
const systemMap = require('nact/lib/system-map.js') as SystemMap;

/** Spawn a system and an actor with nact, to look at them. */
function sample(): NactParts['sample'] {
  const name = 'sample';
  const initialState = { sample: true };
  const systemName = `ioasid-sim-nact-check-${process.pid}`;
  try {
    const system = start({ name: systemName });
    try {
      const ref = nact.spawn(system as nact.Ref<never>, (s: unknown) => s, name, { initialState } as never);
      return { system: systemMap.find(systemName), ref, actor: systemMap.find(systemName, ref), name, initialState };
    } finally {
      nact.stop(system as nact.Ref<never>);
    }
  } catch (e) {
    return { failed: (e as Error).message };
  }
}

/** The installed nact's parts, as the check sees them. */
export function nactParts(): NactParts {
  return {
    version: (require('nact/package.json') as { version?: unknown }).version,
    api: nact,
    actorClass: (require('nact/lib/actor.js') as { Actor?: unknown }).Actor,
    systemMap,
    sample: sample(),
  };
}

checkNact(nactParts());

export function startSystem(name: string): unknown {
  const ref = start({ name });
  // nact gives each query's reply port a random 32-bit id and keys the pending queries by it:
  // two queries in flight with the same id get crossed replies, and one of them never answers.
  // With a few hundred in flight that happens about once per million calls (the bench's 20-bit
  // space run hung on it). Number this system's ports in sequence instead: never reused.
  const registry = systemMap.find(name);
  const add = registry.addTempReference.bind(registry);
  let nextPort = 0;
  registry.addTempReference = (port, deferral) => {
    port.id = ++nextPort;
    add(port, deferral);
  };
  return ref;
}

/** Stop an actor (with its children) or a whole system. */
export function stop(ref: unknown): void {
  nact.stop(ref as nact.Ref<never>);
}

/** Spawn an actor whose delivery the caller takes over (nact never calls a handler for it). Throws nact's error. */
export function spawn(parent: unknown, name: string, initialState: unknown, afterStop: AfterStop): { readonly ref: unknown; readonly actor: NactActor } {
  const ref = nact.spawn(parent as nact.Ref<never>, (s: unknown) => s, name, { initialState, afterStop } as never);
  return { ref, actor: actorOf(ref)! };
}

const ACTOR = Symbol('nact actor');

/** The nact actor behind a ref, stopped or not (cached on the ref: nact walks the path; a WeakMap of every ref would cost every scavenge its ephemerons). */
export function actorOf(ref: unknown): NactActor | undefined {
  const r = ref as { [ACTOR]?: NactActor; system: { name: string } };
  r[ACTOR] ??= systemMap.find(r.system.name, ref) as NactActor | undefined;
  return r[ACTOR];
}

/** Send to a ref nact made (an embedder's query port). */
export function dispatch(ref: unknown, message: unknown): void {
  nact.dispatch(ref as nact.Ref<unknown>, message);
}

export const nameOf = (ref: unknown): string => (ref as { name: string }).name;
