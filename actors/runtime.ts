// The one facade over nact: no other file imports 'nact'. It gives branded refs (so a
// Ref<FdMsg> is not assignable to a Ref<DeviceMsg>), ask/tell, named spawning with name checks,
// and a handler wrapper that turns a thrown error into an EIO reply instead of a dead actor.
import { createRequire } from 'node:module';
import nact from 'nact';
import type { Result } from './result.js';
import { type Errno, err } from './result.js';

declare const brand: unique symbol;
/** A reference to an actor that accepts messages of type M. */
export type ActorRef<M> = { readonly [brand]: M };
/** Where a request's answer goes: a reply port carried inside every request message. */
export type ReplyTo<R> = { readonly [brand]: ['reply', R] };
export type SystemRef = { readonly [brand]: 'system' };
export type ParentRef = SystemRef | ActorRef<unknown>;

type NactRef = nact.Ref<unknown>;
const raw = (r: unknown): NactRef => r as NactRef;

/** The parts of nact's system registry (nact/lib/system-map.js, pinned 7.6.2) the facade patches. */
interface TempRegistry { addTempReference(ref: { id: number }, deferral: unknown): void }
const systemMap = createRequire(import.meta.url)('nact/lib/system-map.js') as {
  find(name: string): TempRegistry;
  find(name: string, ref: unknown): unknown;
};

export function startSystem(name: string): SystemRef {
  // nact's typings say start(name) but the runtime wants start({ name }).
  const ref = (nact.start as unknown as (o: { name: string }) => unknown)({ name }) as SystemRef;
  // nact gives each query's reply port a random 32-bit id and keys the pending queries by it:
  // two queries in flight with the same id get crossed replies, and one of them never answers.
  // With a few hundred in flight that happens about once per million calls (the bench's 20-bit
  // space run hung on it). Number this system's ports in sequence instead: never reused.
  const registry = systemMap.find(name);
  const add = registry.addTempReference.bind(registry);
  let nextPort = 0;
  registry.addTempReference = (port, deferral) => { port.id = ++nextPort; add(port, deferral); };
  return ref;
}

export function stopSystem(system: SystemRef): void {
  nact.stop(raw(system));
}

/** nact rejects ':' and '/' in names; keep names to a safe alphabet. */
const NAME_RE = /^[A-Za-z0-9._-]+$/;

export class SpawnError extends Error {}

/**
 * Spawn a named stateful actor. `handle` returns the next state; a throw is caught, reported
 * through `onError` and the actor keeps its previous state, so one bad message never kills it.
 */
export function spawnNamed<S, M>(
  parent: ParentRef,
  name: string,
  initialState: S,
  handle: (state: S, msg: M, self: ActorRef<M>) => S | Promise<S>,
  onError: (e: unknown, msg: M) => void,
  gone: { errno: Errno; message: string } = { errno: 'EBADF', message: 'object closed' },
): ActorRef<M> {
  if (!NAME_RE.test(name)) throw new SpawnError(`bad actor name '${name}'`);
  const answerGone = (msg: object) => replyError(msg, gone.errno, `${name}: ${gone.message}`);
  let selfRef: ActorRef<M>;
  try {
    // Mail still queued when the actor stops is answered, never dropped: no caller waits forever.
    const afterStop = (_s: S, ctx: { mailbox: Array<{ message?: object } | object> }) => {
      for (const m of ctx.mailbox) answerGone((m as { message?: object }).message ?? m);
    };
    // nact never calls `handle` itself: ownDelivery below replaces its delivery.
    selfRef = nact.spawn(raw(parent) as nact.Ref<never>, handle as never, name, { initialState, afterStop } as never) as unknown as ActorRef<M>;
  } catch (e) {
    throw new SpawnError(`EEXIST: actor '${name}' already exists under its parent (${(e as Error).message})`);
  }
  ownDelivery(actorOf(selfRef)!, { handle, onError, gone: answerGone, self: selfRef } as Behaviour);
  return selfRef;
}

/** Observes every message between actors of one system (for traces and diagrams). */
export type MessageTracer = (from: string, to: string, kind: string, isReply: boolean) => void;
const tracers = new Map<string, MessageTracer>();
const systemOf = (r: unknown): string => (r as { system: { name: string } }).system.name;
export const nameOf = (r: ActorRef<unknown> | SystemRef): string => (r as unknown as { name: string }).name;

/** Trace every message of the nact system `inSystem` belongs to (any ref of it will do). */
export function setMessageTracer(inSystem: ParentRef, tracer: MessageTracer | null): void {
  if (tracer) tracers.set(systemOf(inSystem), tracer);
  else tracers.delete(systemOf(inSystem));
}

function trace(from: string, ref: unknown, msg: unknown, isReply: boolean): void {
  const t = tracers.get(systemOf(ref));
  if (t) t(from, nameOf(ref as ActorRef<unknown>), (msg as { t?: string }).t ?? 'reply', isReply);
}

/** The nact actor behind a ref, or undefined once it stopped (cached: nact walks the path). */
const ACTOR = Symbol('nact actor');
function actorOf(ref: unknown): NactActor | undefined {
  const r = ref as { [ACTOR]?: NactActor };
  // Kept on the ref itself: a WeakMap of every ref would cost every scavenge its ephemerons.
  const a = r[ACTOR] ?? (r[ACTOR] = systemMap.find(systemOf(ref), ref) as NactActor | undefined);
  return a && !a.stopped ? a : undefined;
}

export function tell<M>(from: string, ref: ActorRef<M>, msg: M): void {
  if (tracers.size) trace(from, ref, msg, false);
  actorOf(ref)?.dispatch(msg); // mail to a stopped actor is dropped, as nact does
}

export function stopActor(ref: ActorRef<unknown>): void {
  nact.stop(raw(ref));
}

/** The body of request `K` of protocol `M` (without its reply port), and what it answers. */
export type RequestBody<M, K> = M extends { t: K; replyTo: unknown } ? Omit<M, 'replyTo'> : never;
export type Answer<M, K> = M extends { t: K; replyTo: ReplyTo<infer R> } ? R : never;

// ---- Requests ----
// A request carries a ReplyPort and `reply` settles the asker's promise directly, as nact's
// temporary references do. nact's own query also arms a setTimeout, a deferral and a registry
// entry per call, which together cost about as much as the hop itself; the ports share one
// coarse deadline sweep instead.

/** How often expired requests are looked for: a timeout fires up to this much late. */
const SWEEP_MS = 50;
/** Sweeps so far: deadlines count in sweeps, so asking never reads the clock. */
let sweeps = 0;
let sweeper: ReturnType<typeof setTimeout> | null = null;
/** Ports still waiting, oldest first: a list through the ports themselves, cheaper than a Set. */
let oldest: ReplyPort | null = null;
let newest: ReplyPort | null = null;

/** Where one request's answer goes; the first answer wins, a late one is dropped. */
class ReplyPort {
  readonly deadline: number;
  private prev: ReplyPort | null = newest;
  private next: ReplyPort | null = null;
  private waiting = true;

  constructor(
    private readonly resolve: (r: Result<unknown>) => void,
    private readonly timeoutMs: number,
    private readonly traced: { from: string; to: string; tracer: MessageTracer } | null,
  ) {
    // Sweeps are at least SWEEP_MS apart, and the next one may come at once: one more.
    this.deadline = sweeps + Math.ceil(timeoutMs / SWEEP_MS) + 1;
    if (newest) newest.next = this;
    else oldest = this;
    newest = this;
    sweeper ??= setTimeout(sweep, SWEEP_MS);
  }

  settle(r: Result<unknown>): void {
    if (!this.waiting) return;
    this.waiting = false;
    if (this.prev) this.prev.next = this.next;
    else oldest = this.next;
    if (this.next) this.next.prev = this.prev;
    else newest = this.prev;
    this.traced?.tracer(this.traced.to, this.traced.from, r.ok ? 'ok' : r.errno, true);
    this.resolve(r);
  }

  /** Expire this port if its deadline passed; the port after it either way. */
  sweep(): ReplyPort | null {
    const next = this.next;
    if (this.deadline <= sweeps) this.settle(err('ETIMEDOUT', `no reply within ${this.timeoutMs} ms`));
    return next;
  }
}

function sweep(): void {
  sweeper = null;
  sweeps++;
  for (let port = oldest; port; ) port = port.sweep();
  if (oldest) sweeper = setTimeout(sweep, SWEEP_MS);
}

export function reply<R>(to: ReplyTo<R>, value: R): void {
  if (to instanceof ReplyPort) to.settle(value as Result<unknown>);
  else nact.dispatch(raw(to), value); // a port nact made (an embedder's query)
}

/**
 * Request/reply with a bound. The timeout is a safety net for the `reply` invariant, never the
 * normal way to learn an error: every handler answers every request. `body` becomes the message
 * (its reply port is added to it), so pass a fresh object each time.
 */
export function ask<M extends { t: string }, K extends M['t']>(from: string, ref: ActorRef<M>, body: RequestBody<M, K> & { t: K }, timeoutMs: number): Promise<Answer<M, K>> {
  const actor = actorOf(ref);
  if (!actor) return Promise.resolve(err('ENOENT', `${nameOf(ref as ActorRef<unknown>)} is gone`) as Answer<M, K>);
  const tracer = tracers.size ? tracers.get(systemOf(ref)) : undefined;
  return new Promise((resolve) => {
    const port = new ReplyPort(resolve as (r: Result<unknown>) => void, timeoutMs, tracer ? { from, to: nameOf(ref as ActorRef<unknown>), tracer } : null);
    // The body becomes the message: adding the port costs far less than copying the body.
    const msg = body as typeof body & { replyTo: ReplyPort };
    msg.replyTo = port;
    if (tracer) trace(from, ref, msg, false);
    actor.dispatch(msg);
  });
}

/** Answer a request of any kind with an error (used where a handler threw). */
export function replyError(msg: object, errno: Errno, message: string): void {
  const to = (msg as { replyTo?: ReplyTo<Result<never>> }).replyTo;
  if (to) reply(to, err(errno, message));
}

// ---- Delivery ----
// nact runs each message in its own setImmediate and first builds a context for it (with a copy
// of the actor's children map), which the facade's handlers never read. Facade actors get their
// own handleMessage instead: no context, and one setImmediate runs every delivery queued since
// the last one (in dispatch order). For a system with a delivery hook (deterministic mode) the
// hook gets each delivery as a step and decides when it runs. Per-actor FIFO is kept because
// nact calls handleMessage only for an idle actor and queues the rest in its mailbox until the
// step has settled.

/** One message delivery, to be run when the scheduler picks it. */
export interface Delivery { readonly actor: string; readonly run: () => Promise<void> }
export type DeliveryHook = (d: Delivery) => void;

/** What a facade actor does with a message, with an error, and with mail it cannot take. */
interface Behaviour {
  handle(state: unknown, msg: unknown, self: unknown): unknown;
  onError(e: unknown, msg: unknown): void;
  gone(msg: object): void;
  self: unknown;
}

/** The parts of nact's Actor (nact/lib/actor.js, pinned 7.6.2) a delivery touches. */
interface NactActor {
  system: { name: string };
  name: string;
  busy: boolean;
  state: unknown;
  stopped: boolean;
  dispatch(message: unknown): void;
  afterMessage(): void;
  processNext(): void;
  handleMessage(message: unknown, sender: unknown): void;
}

const deliveryHooks = new Map<string, DeliveryHook>();

function settled(actor: NactActor, next: unknown): void {
  actor.state = next;
  actor.afterMessage();
  actor.processNext();
}

/** Run one message; resolves once the actor is idle again. A throw keeps the previous state. */
function deliver(actor: NactActor, b: Behaviour, message: unknown): Promise<void> | undefined {
  let next: unknown;
  try {
    next = b.handle(actor.state, message, b.self);
  } catch (e) {
    b.onError(e, message);
    next = actor.state;
  }
  if (next instanceof Promise) return next.then((s) => settled(actor, s), (e: unknown) => { b.onError(e, message); settled(actor, actor.state); });
  settled(actor, next);
  return undefined;
}

/** A delivery's turn has come. */
function turn(actor: NactActor, b: Behaviour, message: unknown): Promise<void> | undefined {
  // Stopped before its turn (nact would drop it): answer it as the actor's queued mail is.
  if (actor.stopped) { b.gone(message as object); return undefined; }
  return deliver(actor, b, message);
}

/** Deliveries waiting for the next batch, flat: actor, behaviour, message. */
let queued: unknown[] = [];

function runQueued(): void {
  const batch = queued;
  queued = [];
  for (let i = 0; i < batch.length; i += 3) void turn(batch[i] as NactActor, batch[i + 1] as Behaviour, batch[i + 2]);
}

function ownDelivery(actor: NactActor, b: Behaviour): void {
  actor.handleMessage = function (this: NactActor, message: unknown) {
    this.busy = true;
    const hook = deliveryHooks.get(this.system.name);
    if (hook) { hook({ actor: this.name, run: async () => { await turn(this, b, message); } }); return; }
    if (queued.length === 0) setImmediate(runQueued);
    queued.push(this, b, message);
  };
}

export function setDeliveryHook(inSystem: ParentRef, hook: DeliveryHook | null): void {
  if (hook) deliveryHooks.set(systemOf(inSystem), hook);
  else deliveryHooks.delete(systemOf(inSystem));
}
