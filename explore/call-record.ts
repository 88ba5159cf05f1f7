// The uAPI calls a run's workload made, recorded from its events, and turned into sequence
// steps: machine objects by the user's names, FDs, IOASIDs and jobs by the `as:` name of the
// reply that returned them, background jobs as `dma_start` / `enqcmd_start` ... `stop`, a call
// others overtook (in `overlap` order) sent `nowait` with a `wait` where it answered. The
// vIOMMU's own calls are not steps (the guest request that made them is). Each step belongs to
// a group: the steps linked through an IOASID, a job or a vPASID (one lane's round of alloc ...
// stop), which shrink removes together before it tries single steps.
import type { SimEvent } from '../actors/events.js';
import { PrqCode } from '../hardware/layout.js';
import type { OpName } from '../actors/protocol.js';
import type { Result } from '../actors/result.js';
import type { MachineNames } from '../machine/names.js';
import type { MachineSpec } from '../machine/spec.js';
import type { Simulation } from '../sim/simulation.js';
import { WAIT } from '../sequence/file.js';
import { STEP_OP_BY_NAME } from '../sequence/ops.js';
import type { RecordedStep } from '../sequence/write.js';
import { type BindKind, UAPI, boundValue } from '../uapi/ops.js';

/** A uAPI call of the workload, as the events showed it; `result` null if it never answered. */
interface Call {
  readonly op: OpName;
  readonly args: Readonly<Record<string, number>>;
  result: Result<unknown> | null;
}

/** The workload's calls and replies in the order they happened. */
type Happening = { readonly t: 'call' | 'reply'; readonly call: Call };

/**
 * One run's workload calls until each of `invariants` (the report's) was violated (what came
 * after cannot have caused any), their replies, and the machine they ran on.
 */
export class CallRecorder {
  log: Happening[] = [];
  spec: MachineSpec | null = null;
  constructor(private readonly invariants: readonly string[]) {}

  /** Attach to a run; a later run replaces the earlier one's record (replay's search runs many). */
  attach = (sim: Simulation): void => {
    const log: Happening[] = [];
    const byId = new Map<number, Call>();
    const seen = new Set<string>();
    this.log = log;
    this.spec = sim.options.spec;
    sim.events$.subscribe((e: SimEvent) => {
      if (e.type === 'violation' && this.invariants.includes(e.invariant)) seen.add(e.invariant);
      if ((e.type !== 'call' && e.type !== 'reply') || e.via) return;
      if (e.type === 'call') {
        if (seen.size === this.invariants.length) return;
        const call: Call = { op: e.op, args: e.args as Record<string, number>, result: null };
        log.push({ t: 'call', call });
        byId.set(e.id, call);
      } else {
        const call = byId.get(e.id);
        if (!call) return;
        call.result = e.result;
        log.push({ t: 'reply', call });
      }
    });
  };
}

/** A step, the names it refers to (bound by earlier steps' `as:`), and its group. */
export interface Step {
  readonly step: RecordedStep;
  readonly uses: readonly string[];
  readonly group: number;
}

/**
 * How the concurrent calls become steps: one after the other where each answered (`reply`) or
 * started (`call`), or as they ran (`overlap`): where each started, sent `nowait` with its
 * `wait` where it answered when another call started meanwhile.
 */
export type Order = 'reply' | 'call' | 'overlap';

const PREFIX: { readonly [K in BindKind]: string } = { fd: 'fd', ioasid: 'a', job: 'j', cookie: 'r' };
const PASID_SPACE = 1 << 20;

/** Does this argument of `op` name a value an earlier step bound (rather than a machine object)? */
export function refersToStep(op: string, arg: string): boolean {
  if (op === WAIT) return true; // the call it waits for
  const kind = STEP_OP_BY_NAME.get(op)!.args.find((a) => a.name === arg)?.kind;
  return kind === 'fd' || kind === 'job' || kind === 'ioasid' || kind === 'vpasid' || kind === 'cookie';
}

type Bound = Record<BindKind, Map<number, string>>;

/**
 * The calls as steps (seeds left to the runner). A call a file cannot express (an FD it never
 * opened, an index out of range) is left out. In `reply` order a step stands where its call
 * answered (where its effect, such as which PASID an ALLOC got, was settled), calls that never
 * answered last; in `call` order where it started.
 */
export function stepsOf(log: readonly Happening[], names: MachineNames, order: Order): Step[] {
  const bound: Bound = { fd: new Map(), ioasid: new Map(), job: new Map(), cookie: new Map() };
  const counts = { fd: 0, ioasid: 0, job: 0, cookie: 0 };
  const made = new Map<Call, Made>();
  const placed: (Call | Wait)[] = [];
  const open = new Set<Call>(); // started, not yet answered
  const sent = new Map<Call, string>(); // overlapped by a later call: sent nowait under this name
  const waitFor = (c: Call): Wait => ({ wait: sent.get(c)!, of: made.get(c)! });
  for (const { t, call: c } of log) {
    if (t === 'reply') {
      const s = made.get(c);
      const binds = UAPI[c.op].binds;
      if (s && binds && c.result?.ok) {
        const as = `${PREFIX[binds]}${++counts[binds]}`;
        s.step = { ...s.step, as };
        if (binds !== 'fd') s.links.push(as);
        bound[binds].set(boundValue(binds, c.result.value), as);
      }
      open.delete(c);
      if (order === 'reply') placed.push(c);
      if (order === 'overlap' && sent.has(c)) placed.push(waitFor(c));
      continue;
    }
    const s = expressed(c, names, bound);
    if (!s) continue;
    for (const o of open) {
      if (sent.has(o)) continue;
      const name = `c${sent.size + 1}`;
      sent.set(o, name);
      const m = made.get(o)!;
      m.step = { ...m.step, nowait: name };
      m.links.push(name);
    }
    made.set(c, s);
    open.add(c);
    if (order !== 'reply') placed.push(c);
  }
  if (order === 'reply') placed.push(...[...made.keys()].filter((c) => c.result === null));
  if (order === 'overlap') placed.push(...[...open].filter((c) => sent.has(c)).map(waitFor)); // never answered: waited for at the end
  const steps = placed.flatMap((p): Made[] => {
    if (!('wait' in p)) return made.has(p) ? [made.get(p)!] : [];
    return [{ step: { op: WAIT, args: { for: p.wait }, as: null, expect: null }, uses: [p.wait], links: p.of.links }];
  });
  // Outside `overlap` order every step is waited for where it stands.
  const plain = steps.map((s) => (order === 'overlap' || s.step.nowait === undefined ? s : { ...s, step: withoutNowait(s.step) }));
  const group = groupsOf(plain.map((s) => s.links));
  return plain.map((s, i) => ({ step: s.step, uses: s.uses, group: group[i]! }));
}

/** A step as it was made from its call: the names it uses and the links that group it. */
type Made = { step: RecordedStep; uses: string[]; links: string[] };
/** Where the answer of a call sent `nowait` is waited for. */
type Wait = { readonly wait: string; readonly of: Made };

/** The step waited for where it stands. */
export function withoutNowait(s: RecordedStep): RecordedStep {
  const { nowait: _, ...rest } = s;
  return rest;
}

/** The call as a step without `as:`, its names resolved as they stood when it was made; null if a file cannot say it. */
function expressed(c: Call, names: MachineNames, bound: Bound): Made | null {
  const args: Record<string, string | number> = {};
  const uses: string[] = [];
  const links: string[] = [];
  for (const a of STEP_OP_BY_NAME.get(c.op)!.args) {
    const v = c.args[a.name]!;
    // A default a file cannot spell (dma_start's min_landed 0) is left out, as the workload did.
    if (a.default !== undefined && v === a.default) continue;
    let w: string | number | undefined;
    switch (a.kind) {
      case 'vm':
      case 'device':
      case 'vcpu':
        w = names[a.kind][v];
        break;
      case 'fd':
      case 'job':
        w = bound[a.kind].get(v);
        break;
      case 'ioasid':
        w = bound.ioasid.get(v) ?? (v >= 0 && v < PASID_SPACE ? v : undefined);
        break;
      case 'vpasid':
        w = v >= 0 && v < PASID_SPACE ? v : undefined;
        if (w !== undefined) links.push(`vpasid ${w}`); // KVM_SET_PASID and its clear, set_msr, the guest's requests
        break;
      case 'pasid':
      case 'pages': // an IOVA page may be 0
        w = v >= 0 && v < PASID_SPACE ? v : undefined;
        break;
      // The page request a fault_read named: a late answer stays tied to its read whatever
      // cookie numbers a cut leaves (they count every request of the machine).
      case 'cookie':
        w = bound.cookie.get(v) ?? (v >= 1 && v <= (a.max ?? 0x7fffffff) ? v : undefined);
        break;
      case 'response':
        w = v === PrqCode.SUCCESS ? 'success' : v === PrqCode.INVALID ? 'invalid' : undefined;
        break;
      default:
        w = v >= 1 && v <= (a.max ?? 0x7fffffff) ? v : undefined;
    }
    if (w === undefined) return null;
    if (typeof w === 'string' && refersToStep(c.op, a.name)) {
      uses.push(w);
      if (a.kind !== 'fd') links.push(w); // every round uses the FD: it links nothing
    }
    args[a.name] = w;
  }
  return { step: { op: c.op, args, as: null, expect: null }, uses, links };
}

/** Steps that share a link are one group (union-find over the links), numbered by first step. */
function groupsOf(links: readonly (readonly string[])[]): number[] {
  const parent = links.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  links.forEach((ls, i) => {
    for (const l of ls) {
      const o = owner.get(l);
      if (o === undefined) owner.set(l, i);
      else parent[root(i)] = root(o);
    }
  });
  const number = new Map<number, number>();
  return links.map((_, i) => {
    const r = root(i);
    if (!number.has(r)) number.set(r, number.size);
    return number.get(r)!;
  });
}
