// The actor runtime: branded refs (so a Ref<FdMsg> is not assignable to a Ref<DeviceMsg>),
// ask/tell/reply, named spawning with name checks, and a handler wrapper that turns a thrown
// error into an EIO reply instead of a dead actor. What a simulation's actors share (the message
// tracer, who runs deliveries, the reply ports and their deadlines, the clock) is its Runtime:
// a machine's root actor is spawned with one and every actor under it inherits it, so two
// machines in one nact system never see each other's messages or schedule. nact itself is behind
// actors/nact.ts.
import * as nact from './nact.js';
import type { Result } from './result.js';
import { type Errno, err } from './result.js';

declare const brand: unique symbol;
/** A reference to an actor that accepts messages of type M. */
export type ActorRef<M> = { readonly [brand]: M };
/** Where a request's answer goes: a reply port carried inside every request message. */
export type ReplyTo<R> = { readonly [brand]: ['reply', R] };
export type SystemRef = { readonly [brand]: 'system' };
export type ParentRef = SystemRef | ActorRef<unknown>;

export const startSystem = (name: string): SystemRef => nact.startSystem(name) as SystemRef;
export const stopSystem = (system: SystemRef): void => nact.stop(system);
export const stopActor = (ref: ActorRef<unknown>): void => {
  const runtime = runtimeOf(nact.actorOf(ref) as FacadeActor | undefined);
  nact.stop(ref);
  // nact answers the queued mail of the actor and its children in a setImmediate.
  runtime.stopped();
};

/** Observes every message between the actors of one runtime (for traces and diagrams). */
export type MessageTracer = (from: string, to: string, kind: string, isReply: boolean) => void;

/** Where a runtime's time comes from, in ms. */
export interface Clock {
  now(): number;
}
const REAL_CLOCK: Clock = { now: () => performance.now() };

/** One message delivery, to be run when the scheduler picks it. */
export interface Delivery {
  /** `actor:` and the actor's name: who the step belongs to. */
  readonly source: string;
  run(): void;
}

/** A deterministic scheduler as a runtime sees it: deliveries and timers are its steps. */
export interface Stepper {
  deliver(d: Delivery): void;
  /** Run `f` as a step once the clock reaches `due`; the result cancels it. */
  at(due: number, source: string, f: () => void): () => void;
  /** nact has work of its own due in a setImmediate (a stopped actor's mail): let it run before the next step. */
  outside(): void;
}

/** Who runs a runtime's deliveries and finds its expired requests. */
export type Executor =
  /** Every delivery queued since the last batch runs in one setImmediate; a coarse sweep on a timer. */
  | { readonly kind: 'batched' }
  /** Each delivery is a scheduler step, and a timer step comes at the earliest reply deadline. */
  | { readonly kind: 'stepped'; readonly scheduler: Stepper };
const BATCHED: Executor = { kind: 'batched' };

/** What a simulation's actors share. */
export interface Runtime {
  /** Observe every message of this runtime's actors, or stop (null). */
  traceMessages(tracer: MessageTracer | null): void;
  /** Spawn a spawn-only actor under `parent` (of any nact system) whose children live in this runtime. */
  spawnRoot(parent: ParentRef, name: string): ActorRef<never>;
}

export function createRuntime(clock: Clock = REAL_CLOCK, executor: Executor = BATCHED): Runtime {
  return new ActorRuntime(clock, executor);
}

// ---- Requests ----
// A request carries a ReplyPort and `reply` settles the asker's promise directly, as nact's
// temporary references do. nact's own query also arms a setTimeout, a deferral and a registry
// entry per call, which together cost about as much as the hop itself; a runtime keeps its
// waiting ports in one list by deadline instead, and looks for expired ones by its executor:
// batched, a coarse sweep on a real timer; stepped, one scheduler timer at the earliest
// deadline, so that a timeout comes at the same virtual time and step on every run of a seed.

/** Batched: how often expired requests are looked for (a timeout fires up to this much late). */
const SWEEP_MS = 50;

/** Where one request's answer goes; the first answer wins, a late one is dropped. */
class ReplyPort {
  readonly deadline: number;
  /** Neighbours in the runtime's list of waiting ports (by deadline). */
  prev: ReplyPort | null = null;
  next: ReplyPort | null = null;
  private waiting = true;

  constructor(
    private readonly runtime: ActorRuntime,
    private readonly resolve: (r: Result<unknown>) => void,
    private readonly timeoutMs: number,
    private readonly traced: { from: string; to: string; tracer: MessageTracer } | null,
  ) {
    this.deadline = runtime.clock.now() + timeoutMs;
    runtime.waitFor(this);
  }

  settle(r: Result<unknown>): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.runtime.answered(this);
    this.traced?.tracer(this.traced.to, this.traced.from, r.ok ? 'ok' : r.errno, true);
    this.resolve(r);
  }

  timeOut(): void {
    this.settle(err('ETIMEDOUT', `no reply within ${this.timeoutMs} ms`));
  }
}

// ---- Delivery ----
// nact runs each message in its own setImmediate and first builds a context for it (with a copy
// of the actor's children map), which the facade's handlers never read. Facade actors get their
// own handleMessage instead, which hands the message to the actor's runtime: batched, no context,
// and one setImmediate runs every delivery queued since the last one (in dispatch order);
// stepped, the scheduler gets each delivery as a step and decides when it runs. Per-actor FIFO
// is kept because nact calls handleMessage only for an idle actor and queues the rest in its
// mailbox until the delivery has settled.

/** What a facade actor does with a message, with an error, and with mail it cannot take. */
interface Behaviour {
  handle(state: unknown, msg: unknown, self: unknown): unknown;
  onError(e: unknown, msg: unknown): void;
  gone(msg: object): void;
  self: unknown;
  /** The actor as a scheduler step's source. */
  source: string;
}

/** Stepped: one message's delivery as a scheduler step. */
class SteppedDelivery implements Delivery {
  readonly source: string;
  constructor(
    private readonly actor: FacadeActor,
    private readonly b: Behaviour,
    private readonly message: unknown,
  ) {
    this.source = b.source;
  }
  run(): void {
    void turn(this.actor, this.b, this.message);
  }
}

const RUNTIME = Symbol('runtime');
/** A nact actor spawned through the facade: it knows its runtime. */
type FacadeActor = nact.NactActor & { [RUNTIME]?: ActorRuntime };

class ActorRuntime implements Runtime {
  tracer: MessageTracer | null = null;
  private readonly stepper: Stepper | null;
  /** Ports still waiting, earliest deadline first: a list through the ports, cheaper than a Set. */
  private oldest: ReplyPort | null = null;
  private newest: ReplyPort | null = null;
  /** Batched: the next sweep. */
  private sweeper: ReturnType<typeof setTimeout> | null = null;
  /** Stepped: the timer step armed at the earliest deadline. */
  private alarm: { readonly due: number; readonly cancel: () => void } | null = null;
  /** Batched: deliveries waiting for the next batch, flat: actor, behaviour, message. */
  private queued: unknown[] = [];

  constructor(
    readonly clock: Clock,
    executor: Executor,
  ) {
    this.stepper = executor.kind === 'stepped' ? executor.scheduler : null;
  }

  traceMessages(tracer: MessageTracer | null): void {
    this.tracer = tracer;
  }

  spawnRoot(parent: ParentRef, name: string): ActorRef<never> {
    return spawnIn<null, never>(
      this,
      parent,
      name,
      null,
      () => null,
      () => undefined,
      CLOSED,
    );
  }

  /** A port starts waiting; deadlines rarely come out of order, so this is a step or two from the end. */
  waitFor(port: ReplyPort): void {
    let before = this.newest;
    while (before && before.deadline > port.deadline) before = before.prev;
    port.prev = before;
    port.next = before ? before.next : this.oldest;
    if (before) before.next = port;
    else this.oldest = port;
    if (port.next) port.next.prev = port;
    else this.newest = port;
    if (this.stepper) this.arm();
    else this.sweeper ??= setTimeout(this.sweep, SWEEP_MS);
  }

  answered(port: ReplyPort): void {
    if (port.prev) port.prev.next = port.next;
    else this.oldest = port.next;
    if (port.next) port.next.prev = port.prev;
    else this.newest = port.prev;
    if (this.stepper) this.arm();
  }

  private expire(): void {
    const now = this.clock.now();
    while (this.oldest && this.oldest.deadline <= now) this.oldest.timeOut();
  }

  private readonly sweep = (): void => {
    this.sweeper = null;
    this.expire();
    if (this.oldest) this.sweeper = setTimeout(this.sweep, SWEEP_MS);
  };

  /** Stepped: keep the one timer step at the earliest deadline (none while nothing waits). */
  private arm(): void {
    const due = this.oldest?.deadline;
    if (this.alarm?.due === due) return;
    this.alarm?.cancel();
    this.alarm = due === undefined ? null : { due, cancel: this.stepper!.at(due, 'reply-deadline', this.ring) };
  }

  private readonly ring = (): void => {
    this.alarm = null;
    this.expire();
    this.arm();
  };

  /** nact found `actor` idle: its message's turn is now the executor's to give. */
  take(actor: FacadeActor, b: Behaviour, message: unknown): void {
    actor.busy = true;
    if (this.stepper) {
      this.stepper.deliver(new SteppedDelivery(actor, b, message));
      return;
    }
    if (this.queued.length === 0) setImmediate(this.runQueued);
    this.queued.push(actor, b, message);
  }

  /** Some of this runtime's actors stopped. */
  stopped(): void {
    this.stepper?.outside();
  }

  private readonly runQueued = (): void => {
    const batch = this.queued;
    this.queued = [];
    for (let i = 0; i < batch.length; i += 3) void turn(batch[i] as FacadeActor, batch[i + 1] as Behaviour, batch[i + 2]);
  };
}

/** Facade actors spawned outside any simulation (an embedder's, a test's) share this one. */
const standalone = new ActorRuntime(REAL_CLOCK, BATCHED);

const runtimeOf = (a: FacadeActor | undefined): ActorRuntime => a?.[RUNTIME] ?? standalone;

function settled(actor: FacadeActor, next: unknown): void {
  actor.state = next;
  actor.afterMessage();
  actor.processNext();
}

/** Run one message; resolves once the actor is idle again. A throw keeps the previous state. */
function deliver(actor: FacadeActor, b: Behaviour, message: unknown): Promise<void> | undefined {
  let next: unknown;
  try {
    next = b.handle(actor.state, message, b.self);
  } catch (e) {
    b.onError(e, message);
    next = actor.state;
  }
  if (next instanceof Promise)
    return next.then(
      (s) => settled(actor, s),
      (e: unknown) => {
        b.onError(e, message);
        settled(actor, actor.state);
      },
    );
  settled(actor, next);
  return undefined;
}

/** A delivery's turn has come. */
function turn(actor: FacadeActor, b: Behaviour, message: unknown): Promise<void> | undefined {
  // Stopped before its turn (nact would drop it): answer it as the actor's queued mail is.
  if (actor.stopped) {
    b.gone(message as object);
    return undefined;
  }
  return deliver(actor, b, message);
}

/** nact rejects ':' and '/' in names; keep names to a safe alphabet. */
const NAME_RE = /^[A-Za-z0-9._-]+$/;
/** How mail an actor cannot take is answered, unless its spawner says otherwise. */
const CLOSED: Gone = { errno: 'EBADF', message: 'object closed' };
type Gone = { readonly errno: Errno; readonly message: string };

class SpawnError extends Error {}

/**
 * Spawn a named stateful actor, in its parent's runtime. `handle` returns the next state; a
 * throw is caught, reported through `onError` and the actor keeps its previous state, so one bad
 * message never kills it.
 */
export function spawnNamed<S, M>(
  parent: ParentRef,
  name: string,
  initialState: S,
  handle: (state: S, msg: M, self: ActorRef<M>) => S | Promise<S>,
  onError: (e: unknown, msg: M) => void,
  gone: Gone = CLOSED,
): ActorRef<M> {
  return spawnIn(runtimeOf(nact.actorOf(parent) as FacadeActor | undefined), parent, name, initialState, handle, onError, gone);
}

function spawnIn<S, M>(
  runtime: ActorRuntime,
  parent: ParentRef,
  name: string,
  initialState: S,
  handle: (state: S, msg: M, self: ActorRef<M>) => S | Promise<S>,
  onError: (e: unknown, msg: M) => void,
  gone: Gone,
): ActorRef<M> {
  if (!NAME_RE.test(name)) throw new SpawnError(`bad actor name '${name}'`);
  const answerGone = (msg: object) => replyError(msg, gone.errno, `${name}: ${gone.message}`);
  let spawned: { readonly ref: unknown; readonly actor: FacadeActor };
  try {
    // Mail still queued when the actor stops is answered, never dropped: no caller waits forever.
    spawned = nact.spawn(parent, name, initialState, (_s, ctx) => {
      for (const m of ctx.mailbox) answerGone(m.message as object);
    });
  } catch (e) {
    throw new SpawnError(`EEXIST: actor '${name}' already exists under its parent (${(e as Error).message})`);
  }
  const { ref, actor } = spawned;
  const b = { handle, onError, gone: answerGone, self: ref, source: `actor:${name}` } as Behaviour;
  actor[RUNTIME] = runtime;
  actor.handleMessage = (message: unknown) => runtime.take(actor, b, message);
  return ref as ActorRef<M>;
}

function trace(tracer: MessageTracer, from: string, ref: unknown, msg: unknown): void {
  tracer(from, nact.nameOf(ref), (msg as { t?: string }).t ?? 'reply', false);
}

export function tell<M>(from: string, ref: ActorRef<M>, msg: M): void {
  const a = nact.actorOf(ref) as FacadeActor | undefined;
  const tracer = runtimeOf(a).tracer;
  if (tracer) trace(tracer, from, ref, msg);
  if (a && !a.stopped) a.dispatch(msg); // mail to a stopped actor is dropped, as nact does
}

/** The body of request `K` of protocol `M` (without its reply port), and what it answers. */
export type RequestBody<M, K> = M extends { t: K; replyTo: unknown } ? Omit<M, 'replyTo'> : never;
export type Answer<M, K> = M extends { t: K; replyTo: ReplyTo<infer R> } ? R : never;

export function reply<R>(to: ReplyTo<R>, value: R): void {
  if (to instanceof ReplyPort) to.settle(value as Result<unknown>);
  else nact.dispatch(to, value); // a port nact made (an embedder's query)
}

/**
 * Request/reply with a bound, on the target's runtime clock. The timeout is a safety net for the
 * `reply` invariant, never the normal way to learn an error: every handler answers every
 * request. `body` becomes the message (its reply port is added to it), so pass a fresh object
 * each time.
 */
export function ask<M extends { t: string }, K extends M['t']>(
  from: string,
  ref: ActorRef<M>,
  body: RequestBody<M, K> & { t: K },
  timeoutMs: number,
): Promise<Answer<M, K>> {
  const actor = nact.actorOf(ref) as FacadeActor | undefined;
  if (!actor || actor.stopped) return Promise.resolve(err('ENOENT', `${nact.nameOf(ref)} is gone`) as Answer<M, K>);
  const runtime = runtimeOf(actor);
  const tracer = runtime.tracer;
  return new Promise((resolve) => {
    const port = new ReplyPort(runtime, resolve as (r: Result<unknown>) => void, timeoutMs, tracer ? { from, to: nact.nameOf(ref), tracer } : null);
    // The body becomes the message: adding the port costs far less than copying the body.
    const msg = body as typeof body & { replyTo: ReplyPort };
    msg.replyTo = port;
    if (tracer) trace(tracer, from, ref, msg);
    actor.dispatch(msg);
  });
}

/** Answer a request of any kind with an error (used where a handler threw). */
export function replyError(msg: object, errno: Errno, message: string): void {
  const to = (msg as { replyTo?: ReplyTo<Result<never>> }).replyTo;
  if (to) reply(to, err(errno, message));
}
