// The guest-visible IOMMU of one VM: dynamic authorisation driven by the guest
// (docs/kernel-facts.md#how-kvm-would-program-the-table, step 5). A guest request to bind a device to a vPASID becomes, on an FD this vIOMMU opens for
// its VM, ALLOC -> BIND_PGTBL -> DEVICE_ALLOW_IOASID -> KVM_SET_PASID; unbind runs the reverse safe
// order, KVM_CLEAR_PASID -> DEVICE_DISALLOW_IOASID -> DESTROY
// (docs/kernel-facts.md#tearing-down-a-vpasid-translation). Like QEMU, it issues
// them through the uAPI any VMM uses, so the auditor sees every call. One pPASID serves a vPASID
// on every device bound with it (the CPU's translation is per VM). Requests for one vPASID run one
// after the other, in arrival order; requests for different vPASIDs run concurrently. A request
// that fails midway undoes, in the safe order, what it did. Under iommufd it attaches the HWPT at
// the PASID equal to its id (the global pPASID KVM's table maps the vPASID to) and detaches.
//
// With guest faults on (docs/model.md#io-page-faults), the address space
// it binds is the guest's, populated on demand: only its first and last pages are present at
// bind, a fault queue on it takes its devices' page requests, and the guest answers each
// (FAULT_RESPOND by its cookie): success, which maps the page, or invalid for a page beyond its
// address space or a device no longer bound to the vPASID (or being unbound from it).
import { KVM_VPASIDS } from '../hardware/layout.js';
import type { MutantName, UapiDesign } from './env.js';
import type { Invoke, PageRequestInfo, VIommuBinding, VIommuMsg, VIommuRequest } from './protocol.js';
import { type Err, type Result, err, ok, okVoid } from './result.js';
import { type ActorRef, type ParentRef, reply, replyError, spawnNamed, tell } from './runtime.js';

/** The uAPI calls a VMM makes for its vIOMMU, through the dispatcher any VMM uses (it publishes them). */
export type GuestOp =
  | 'open'
  | 'alloc'
  | 'bind_pgtbl'
  | 'map'
  | 'allow'
  | 'disallow'
  | 'attach'
  | 'detach'
  | 'destroy'
  | 'kvm_set_pasid'
  | 'kvm_clear_pasid'
  | 'fault_queue'
  | 'fault_respond';
export type GuestUapi = Invoke<GuestOp>;

export interface VIommuOptions {
  readonly vm: number;
  /** The VM's name: the actor is `viommu.vm1` (KVM's is `kvm.vm1`). */
  readonly name: string;
  /** The devices assigned to the VM: the only ones its guest can name. */
  readonly devices: readonly number[];
  readonly uapi: GuestUapi;
  /** The design the machine serves: iommufd attaches and detaches instead of ALLOW and DISALLOW. */
  readonly design: UapiDesign;
  /** Pages of the page table bound for a new vPASID. */
  readonly pages: number;
  readonly mutant: MutantName | null;
  /** Guest faults: given the FD the vIOMMU opened, route its fault queues' page requests to it. Null: the kernel handles them. */
  readonly takeFaults: ((fd: number, self: ActorRef<VIommuMsg>) => void) | null;
}

interface VIommuState {
  fd: Promise<Result<number>> | null;
  readonly bindings: Map<number, VIommuBinding>;
  /** vPASIDs with a request running, each with the requests waiting behind it. */
  readonly queued: Map<number, VIommuRequest[]>;
  /** The request running for each vPASID (the first of `queued`'s). */
  readonly running: Map<number, VIommuRequest>;
}

interface Outcome {
  readonly binding: VIommuBinding | null;
  readonly result: Result<number>;
}

export function spawnVIommu(parent: ParentRef, o: VIommuOptions): ActorRef<VIommuMsg> {
  const actorName = `viommu.${o.name}`;

  /** Run a request's calls off the actor's turn; their end comes back as a `done` message. */
  const start = (s: VIommuState, req: VIommuRequest, self: ActorRef<VIommuMsg>) => {
    s.fd ??= o.uapi('open', { vm: o.vm }).then((fd) => {
      if (fd.ok) o.takeFaults?.(fd.value, self);
      return fd;
    });
    s.running.set(req.vpasid, req);
    const held = s.bindings.get(req.vpasid) ?? null;
    (req.t === 'bind' ? bind(o, s.fd, held, req.device, req.vpasid) : unbind(o, s.fd, held, req.device, req.vpasid)).then(
      ({ binding, result }) => tell(actorName, self, { t: 'done', request: req, binding, result }),
      (e: unknown) => tell(actorName, self, { t: 'done', request: req, binding: held, result: err('EIO', (e as Error).message) }),
    );
  };

  return spawnNamed<VIommuState, VIommuMsg>(
    parent,
    actorName,
    { fd: null, bindings: new Map(), queued: new Map(), running: new Map() },
    (s, msg, self) => {
      switch (msg.t) {
        case 'bind':
        case 'unbind': {
          // `as never`: the port of either request takes an error.
          if (!Number.isInteger(msg.vpasid) || msg.vpasid <= 0 || msg.vpasid >= KVM_VPASIDS) {
            reply(msg.replyTo as never, err('EINVAL', `vPASID ${msg.vpasid} is out of range (1..${KVM_VPASIDS - 1})`));
            break;
          }
          if (!o.devices.includes(msg.device)) {
            reply(msg.replyTo as never, err('EINVAL', `device ${msg.device} is not assigned to VM ${o.vm}`));
            break;
          }
          const waiting = s.queued.get(msg.vpasid);
          if (waiting) waiting.push(msg);
          else {
            s.queued.set(msg.vpasid, []);
            start(s, msg, self);
          }
          break;
        }
        case 'done': {
          const req = msg.request;
          if (msg.binding) s.bindings.set(req.vpasid, msg.binding);
          else s.bindings.delete(req.vpasid);
          if (req.t === 'bind') reply(req.replyTo, msg.result);
          else reply(req.replyTo, msg.result.ok ? okVoid : msg.result);
          const next = s.queued.get(req.vpasid)!.shift();
          if (next) start(s, next, self);
          else {
            s.queued.delete(req.vpasid);
            s.running.delete(req.vpasid);
          }
          break;
        }
        case 'page-request': {
          const code = guestAnswer(o, s, msg.pasid, msg.request);
          // Off the actor's turn: the FD is open, the request came through its fault queue.
          void s.fd?.then((fd) => {
            if (fd.ok) void o.uapi('fault_respond', { fd: fd.value, ioasid: msg.pasid, code, cookie: msg.request.cookie });
          });
          break;
        }
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${actorName}: ${(e as Error).message}`),
  );
}

/** The guest's answer to a page request of IOASID `pasid`: 0 (success) or 1 (invalid). */
function guestAnswer(o: VIommuOptions, s: VIommuState, pasid: number, r: PageRequestInfo): number {
  if (r.iova + r.pages > o.pages) return 1;
  for (const [vpasid, b] of s.bindings) {
    if (b.pasid !== pasid) continue;
    const running = s.running.get(vpasid);
    return b.devices.has(r.device) && !(running?.t === 'unbind' && running.device === r.device) ? 0 : 1;
  }
  return 1;
}

const withDevice = (b: VIommuBinding, device: number, on: boolean): VIommuBinding => {
  const devices = new Set(b.devices);
  if (on) devices.add(device);
  else devices.delete(device);
  return { ...b, devices };
};

/** ALLOW the address space on the device, or under iommufd attach it at the PASID equal to its id. */
const give = (o: VIommuOptions, device: number, fd: number, pasid: number) =>
  o.design === 'iommufd' ? o.uapi('attach', { device, fd, hwpt: pasid, pasid }) : o.uapi('allow', { device, fd, ioasid: pasid });
/** DISALLOW, or under iommufd DETACH. */
const takeBack = (o: VIommuOptions, device: number, fd: number, pasid: number) =>
  o.design === 'iommufd' ? o.uapi('detach', { device, pasid }) : o.uapi('disallow', { device, fd, ioasid: pasid });

async function bind(o: VIommuOptions, fdp: Promise<Result<number>>, held: VIommuBinding | null, device: number, vpasid: number): Promise<Outcome> {
  if (held?.devices.has(device)) return { binding: held, result: err('EEXIST', `device ${device} is already bound to vPASID ${vpasid}`) };
  const fdr = await fdp;
  if (!fdr.ok) return { binding: held, result: fdr };
  const fd = fdr.value;
  const u = o.uapi;
  // What to undo, newest first, if a later step fails.
  const undo: Array<() => Promise<unknown>> = [];
  const fail = async (r: Err): Promise<Outcome> => {
    for (const f of undo.reverse()) await f();
    return { binding: held, result: r };
  };
  let b = held;
  if (!b) {
    const a = await u('alloc', { fd });
    if (!a.ok) return { binding: null, result: a };
    const pasid = a.value;
    undo.push(() => u('destroy', { fd, ioasid: pasid }));
    const r = await u('bind_pgtbl', { fd, ioasid: pasid, pages: o.takeFaults ? 1 : o.pages });
    if (!r.ok) return fail(r);
    if (o.takeFaults) {
      // The guest's space spans `pages`; the rest is mapped as its devices ask (a fault queue's requests).
      const top = await u('map', { fd, ioasid: pasid, iova: o.pages - 1, pages: 1 });
      if (!top.ok) return fail(top);
      const q = await u('fault_queue', { fd, ioasid: pasid });
      if (!q.ok) return fail(q);
    }
    b = { pasid, devices: new Set(), kvm: false };
  }
  const pasid = b.pasid;
  const allowed = await give(o, device, fd, pasid);
  if (!allowed.ok) return fail(allowed);
  undo.push(() => takeBack(o, device, fd, pasid));
  if (!b.kvm) {
    const mapped = await u('kvm_set_pasid', { vm: o.vm, vpasid, fd, ioasid: pasid });
    if (!mapped.ok) return fail(mapped);
    b = { ...b, kvm: true };
  }
  return { binding: withDevice(b, device, true), result: ok(pasid) };
}

async function unbind(o: VIommuOptions, fdp: Promise<Result<number>>, held: VIommuBinding | null, device: number, vpasid: number): Promise<Outcome> {
  if (!held?.devices.has(device)) return { binding: held, result: err('ENOENT', `device ${device} is not bound to vPASID ${vpasid}`) };
  const fdr = await fdp;
  if (!fdr.ok) return { binding: held, result: fdr };
  const fd = fdr.value;
  const u = o.uapi;
  // ENOENT means someone else already undid that step: it counts as done.
  const done = (r: Result<null>) => r.ok || r.errno === 'ENOENT';
  let b = held;
  const last = b.devices.size === 1;
  // The vPASID's translation goes only with its last device: the others still take its ENQCMDs.
  if (last && b.kvm && o.mutant !== 'unbind-keeps-kvm') {
    const r = await u('kvm_clear_pasid', { vm: o.vm, vpasid });
    if (!done(r)) return { binding: b, result: r as Err };
    b = { ...b, kvm: false };
  }
  const r = await takeBack(o, device, fd, b.pasid);
  if (!done(r)) return { binding: b, result: r as Err };
  b = withDevice(b, device, false);
  if (!last) return { binding: b, result: ok(b.pasid) };
  const d = await u('destroy', { fd, ioasid: b.pasid });
  if (!done(d)) return { binding: b, result: d as Err };
  return { binding: null, result: ok(b.pasid) };
}
