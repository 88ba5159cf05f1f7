// The one facade over nact: no other file imports 'nact'. It gives branded refs (so a
// Ref<FdMsg> is not assignable to a Ref<DeviceMsg>), ask/tell, named spawning with name checks,
// and a handler wrapper that turns a thrown error into an EIO reply instead of a dead actor.
import { createRequire } from 'node:module';
import nact from 'nact';
import actorLib from 'nact/lib/actor.js';
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
const systemMap = createRequire(import.meta.url)('nact/lib/system-map.js') as { find(name: string): TempRegistry };

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
  let selfRef: ActorRef<M> | undefined;
  const f = async (state: S, msg: M): Promise<S> => {
    try {
      return await handle(state, msg, selfRef as ActorRef<M>);
    } catch (e) {
      onError(e, msg);
      return state;
    }
  };
  try {
    // Mail still queued when the actor stops is answered, never dropped: no caller waits forever.
    const afterStop = (_s: S, ctx: { mailbox: Array<{ message?: object } | object> }) => {
      for (const m of ctx.mailbox) {
        const msg = (m as { message?: object }).message ?? m;
        replyError(msg, gone.errno, `${name}: ${gone.message}`);
      }
    };
    selfRef = nact.spawn(raw(parent) as nact.Ref<never>, f as never, name, { initialState, afterStop } as never) as unknown as ActorRef<M>;
  } catch (e) {
    throw new SpawnError(`EEXIST: actor '${name}' already exists under its parent (${(e as Error).message})`);
  }
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

export function tell<M>(from: string, ref: ActorRef<M>, msg: M): void {
  if (tracers.size) trace(from, ref, msg, false);
  nact.dispatch(raw(ref), msg);
}

export function reply<R>(to: ReplyTo<R>, value: R): void {
  nact.dispatch(raw(to), value);
}

export function stopActor(ref: ActorRef<unknown>): void {
  nact.stop(raw(ref));
}

/** The body of request `K` of protocol `M` (without its reply port), and what it answers. */
export type RequestBody<M, K> = M extends { t: K; replyTo: unknown } ? Omit<M, 'replyTo'> : never;
export type Answer<M, K> = M extends { t: K; replyTo: ReplyTo<infer R> } ? R : never;

/**
 * Request/reply with a bound. The timeout is a safety net for the `reply` invariant, never the
 * normal way to learn an error: every handler answers every request.
 */
export async function ask<M extends { t: string }, K extends M['t']>(from: string, ref: ActorRef<M>, body: RequestBody<M, K> & { t: K }, timeoutMs: number): Promise<Answer<M, K>> {
  const traced = tracers.size > 0 && tracers.has(systemOf(ref));
  try {
    const r = (await nact.query(raw(ref) as nact.Ref<never>, ((tmp: unknown) => {
      const msg = { ...body, replyTo: tmp };
      if (traced) trace(from, ref, msg, false);
      return msg;
    }) as never, timeoutMs)) as Result<unknown>;
    if (traced) tracers.get(systemOf(ref))?.(nameOf(ref as ActorRef<unknown>), from, r.ok ? 'ok' : r.errno, true);
    return r as Answer<M, K>;
  } catch (e) {
    const m = (e as Error).message ?? String(e);
    if (m.includes('Timeout')) return err('ETIMEDOUT', `no reply within ${timeoutMs} ms`) as Answer<M, K>;
    return err('ENOENT', `${nameOf(ref as ActorRef<unknown>)} is gone`) as Answer<M, K>;
  }
}

/** Answer a request of any kind with an error (used where a handler threw). */
export function replyError(msg: object, errno: Errno, message: string): void {
  const to = (msg as { replyTo?: unknown }).replyTo;
  if (to) nact.dispatch(raw(to), err(errno, message));
}

// ---- Seeded delivery order (deterministic mode) ----
// nact has no scheduler hook: it runs each message in its own setImmediate. For a system with a
// delivery hook installed, `handleMessage` instead hands the delivery to the hook as a step; the
// hook decides when it runs. Per-actor FIFO is kept because nact calls handleMessage only for
// an idle actor and queues the rest in its mailbox until the step's handler has settled.

/** One message delivery, to be run when the scheduler picks it. */
export interface Delivery { readonly actor: string; readonly run: () => Promise<void> }
export type DeliveryHook = (d: Delivery) => void;

interface NactActor {
  system: { name: string };
  name: string;
  busy: boolean;
  state: unknown;
  f: (this: unknown, state: unknown, msg: unknown, ctx: unknown) => unknown;
  createContext(sender: unknown): unknown;
  afterMessage(): void;
  processNext(): void;
  handleFault(msg: unknown, sender: unknown, e: unknown): void;
  handleMessage(message: unknown, sender: unknown): void;
}

const deliveryHooks = new Map<string, DeliveryHook>();
let patched = false;

export function setDeliveryHook(inSystem: ParentRef, hook: DeliveryHook | null): void {
  if (!patched) {
    patched = true;
    const proto = (actorLib as { Actor: { prototype: NactActor } }).Actor.prototype;
    const original = proto.handleMessage;
    proto.handleMessage = function (this: NactActor, message: unknown, sender: unknown) {
      const hook = deliveryHooks.get(this.system.name);
      if (!hook) { original.call(this, message, sender); return; }
      this.busy = true;
      // The same body as nact's, without its setImmediate: the scheduler is the one who runs it.
      hook({
        actor: this.name,
        run: async () => {
          try {
            const ctx = this.createContext(sender);
            this.state = await Promise.resolve(this.f.call(ctx, this.state, message, ctx));
            this.afterMessage();
            this.processNext();
          } catch (e) {
            this.handleFault(message, sender, e);
          }
        },
      });
    };
  }
  if (hook) deliveryHooks.set(systemOf(inSystem), hook);
  else deliveryHooks.delete(systemOf(inSystem));
}
