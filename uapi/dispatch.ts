// The one dispatcher of the uAPI: fills an op's defaults, checks its arguments are integers,
// publishes the call, resolves the object it works on (EBADF / EINVAL before any message is
// sent), runs the row's handler and publishes the reply. Every call answers: a thrown error
// becomes EIO, and a call after shutdown EBADF.
import type { CallEvent, CallVia, ReplyEvent } from '../actors/events.js';
import type { Invoke, OpInput, OpName, OpValue } from '../actors/protocol.js';
import { type Err, type Result, err } from '../actors/result.js';
import type { Kernel } from './kernel.js';
import { type ArgSpec, UAPI } from './ops.js';
import { type TargetKind, resolveTarget } from './targets.js';

export interface DispatchHooks {
  readonly emit: (e: CallEvent | ReplyEvent) => void;
  /** The run's clock (virtual in deterministic mode), for the events' timestamps. */
  readonly now: () => number;
}

/** The row as the dispatcher drives it: one shape for every op. */
interface AnyRow {
  readonly target: TargetKind;
  readonly design?: string;
  readonly args: Readonly<Record<string, ArgSpec>>;
  handle(k: Kernel, target: unknown, a: Readonly<Record<string, number>>): Promise<Result<unknown>>;
}

/** The call's arguments with defaults filled in, and the first that is malformed. */
function complete(op: OpName, input: object): { readonly args: Record<string, unknown>; readonly bad: Err | null } {
  const row = UAPI[op] as unknown as AnyRow;
  const given = input as Readonly<Record<string, unknown>>;
  const args: Record<string, unknown> = {};
  let bad: Err | null = null;
  for (const [name, spec] of Object.entries(row.args)) {
    const v = given[name] ?? spec.default;
    args[name] = v;
    if (bad) continue;
    if (!Number.isSafeInteger(v)) bad = err('EINVAL', `${op}: argument '${name}' must be an integer (got ${String(v)})`);
    // Indexes, counts and the numbers the uAPI hands out are never negative (seeds are any integer).
    else if ((v as number) < 0 && spec.kind !== 'seed') bad = err('EINVAL', `${op}: argument '${name}' must not be negative (got ${String(v)})`);
    else if (spec.max !== undefined && (v as number) > spec.max) bad = err('EINVAL', `${op}: argument '${name}' is at most ${spec.max} (got ${String(v)})`);
  }
  return { args, bad };
}

/**
 * The uAPI's entry points: `user` for whoever drives the machine, `viommu` for the calls the
 * vIOMMUs make themselves (their events say `via: 'viommu'`, so a recorder of the user's calls
 * can leave them out). One id sequence for both.
 */
export function dispatcher(k: Kernel, hooks: DispatchHooks): { readonly user: Invoke; readonly viommu: Invoke } {
  let lastId = 0;
  const entry =
    (via: CallVia | null): Invoke =>
    async <K extends OpName>(op: K, input: OpInput<K>): Promise<Result<OpValue<K>>> => {
      const id = ++lastId;
      const { args, bad } = complete(op, input);
      const tag = via ? { via } : {};
      // A malformed call is still a call: it is published with what it was given.
      hooks.emit({ type: 'call', id, op, args, ...tag, t: hooks.now() } as CallEvent);
      let r: Result<unknown>;
      try {
        r = k.stopped ? err('EBADF', 'the machine is shut down') : (bad ?? (await run(k, op, args as Record<string, number>)));
      } catch (e) {
        r = err('EIO', (e as Error).message);
      }
      hooks.emit({ type: 'reply', id, op, args, result: r, ...tag, t: hooks.now() } as ReplyEvent);
      return r as Result<OpValue<K>>;
    };
  return { user: entry(null), viommu: entry('viommu') };
}

async function run(k: Kernel, op: OpName, a: Readonly<Record<string, number>>): Promise<Result<unknown>> {
  const row = UAPI[op] as unknown as AnyRow;
  if (row.design !== undefined && row.design !== k.env.uapi) return err('EOPNOTSUPP', `${op}: the ${k.env.uapi} uAPI has no such op (it needs ${row.design})`);
  const target = resolveTarget(k, row.target, a);
  return target.ok ? row.handle(k, target.value, a) : target;
}
