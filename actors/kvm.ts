// KVM's side of one VM: the vPASID -> pPASID table the CPU's PASID translation reads for ENQCMD
// (the VMCS table, in shared memory). KVM_SET_PASID resolves the pPASID from (FD, IOASID) with
// the checks DEVICE_ALLOW_IOASID makes, so userspace cannot name an arbitrary pPASID, and holds a
// kref on the IOASID while the translation exists: a parked PASID waits for KVM_CLEAR_PASID as it
// waits for DISALLOW, and KVM_CLEAR_PASID still works after DESTROY. KVM_CLEAR_PASID follows
// docs/kernel-facts.md#tearing-down-a-vpasid-translation: clear the entry, wait until no vCPU is still
// submitting through it, drain the descriptors already accepted, and only then let go of the
// IOASID.
import { noteKvmClear } from '../hardware/coverage.js';
import { kvmInvalidate, kvmPublish, kvmQuiesce, kvmZero, vcpuCounters } from '../hardware/kvm.js';
import { KVM_VPASIDS } from '../hardware/layout.js';
import { swqDrain } from '../hardware/swq.js';
import { type ActorEnv, fdget } from './env.js';
import type { Holder, IoasidMsg, KvmMsg } from './protocol.js';
import { err, okVoid } from './result.js';
import { type ActorRef, type ParentRef, ask, reply, replyError, spawnNamed } from './runtime.js';

export interface KvmOptions {
  readonly vm: number;
  readonly name: string;
  /** The VM's vCPUs (index and name) and devices (their work queues). */
  readonly vcpus: readonly { readonly index: number; readonly name: string }[];
  readonly devices: readonly number[];
  readonly pasidMax: number;
}

interface Entry {
  readonly pasid: number;
  readonly ref: ActorRef<IoasidMsg>;
  readonly kref: boolean;
}
interface KvmState {
  readonly table: Map<number, Entry>;
  readonly exitsSeen: Map<number, number>;
}

export function spawnKvm(parent: ParentRef, env: ActorEnv, o: KvmOptions): ActorRef<KvmMsg> {
  const actorName = `kvm.${o.name}`; // the VM's vIOMMU is `viommu.${o.name}`
  const T = env.replyTimeoutMs;
  const { hw, waiter } = env.host;
  const badVpasid = (v: number) => !Number.isInteger(v) || v <= 0 || v >= KVM_VPASIDS;
  const vpasidRange = (v: number) => err('EINVAL', `vPASID ${v} is out of range (1..${KVM_VPASIDS - 1})`);

  return spawnNamed<KvmState, KvmMsg>(
    parent,
    actorName,
    { table: new Map(), exitsSeen: new Map() },
    async (s, msg) => {
      switch (msg.t) {
        case 'set': {
          const f = fdget(env, msg.fd, o.vm, o.name);
          if (!f.ok) {
            reply(msg.replyTo, f);
            break;
          }
          if (badVpasid(msg.vpasid)) {
            reply(msg.replyTo, vpasidRange(msg.vpasid));
            break;
          }
          // The table's pPASID is the address space's number: under iommufd the HWPT's id, which a
          // VMM that shares a work queue attaches at on its devices (ids are unique per machine).
          if (!Number.isInteger(msg.ioasid) || msg.ioasid <= 0 || msg.ioasid >= o.pasidMax) {
            const what = env.uapi === 'iommufd' ? `HWPT id ${msg.ioasid} is not usable as a pPASID` : `IOASID ${msg.ioasid} is not a valid PASID`;
            reply(msg.replyTo, err('EINVAL', `${what} (1..${o.pasidMax - 1})`));
            break;
          }
          // Never rewrite a live entry: remapping takes KVM_CLEAR_PASID first, which drains the old pPASID.
          if (s.table.has(msg.vpasid)) {
            reply(msg.replyTo, err('EEXIST', `vPASID ${msg.vpasid} of ${o.name} is already mapped (to pPASID ${s.table.get(msg.vpasid)!.pasid})`));
            break;
          }
          // The same-FD check: the IOASID must have been allocated from this FD.
          const found = await ask(actorName, f.value.ref, { t: 'lookup', ioasid: msg.ioasid }, T);
          if (!found.ok) {
            reply(msg.replyTo, found);
            break;
          }
          const holder: Holder = `kvm:${o.vm}:${msg.vpasid}`;
          const kref = env.mutant !== 'kvm-no-kref';
          if (kref) {
            const got = await ask(actorName, found.value, { t: 'get', holder }, T);
            if (!got.ok) {
              reply(msg.replyTo, got);
              break;
            }
          }
          s.table.set(msg.vpasid, { pasid: msg.ioasid, ref: found.value, kref });
          kvmPublish(hw, o.vm, msg.vpasid, msg.ioasid);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'clear': {
          if (badVpasid(msg.vpasid)) {
            reply(msg.replyTo, vpasidRange(msg.vpasid));
            break;
          }
          const e = s.table.get(msg.vpasid);
          if (!e) {
            reply(msg.replyTo, err('ENOENT', `vPASID ${msg.vpasid} of ${o.name} is not mapped`));
            break;
          }
          noteKvmClear(hw, o.vm, msg.vpasid, e.pasid, o.devices); // coverage: what this teardown races, read before it clears anything
          kvmInvalidate(hw, o.vm, msg.vpasid); // 1. stop new submissions: later ENQCMDs exit (72)
          // A failed wait leaves the translation invalid (ENQCMDs exit) and mapped, so a retry finishes.
          if (env.injectFault('kvm-quiesce')) {
            reply(msg.replyTo, err('EIO', `${o.name}: vCPUs did not quiesce (injected)`));
            break;
          }
          if (env.mutant !== 'kvm-no-quiesce') await kvmQuiesce(hw, waiter, o.vm); //    and every vCPU has passed the point of reading it
          for (const d of o.devices) await swqDrain(hw, waiter, d); // 2. accepted descriptors finish
          kvmZero(hw, o.vm, msg.vpasid);
          s.table.delete(msg.vpasid);
          reply(msg.replyTo, e.kref ? await ask(actorName, e.ref, { t: 'put', holder: `kvm:${o.vm}:${msg.vpasid}` }, T) : okVoid);
          break;
        }
        case 'exits':
          for (const c of o.vcpus) {
            const now = vcpuCounters(hw, c.index);
            const n = (now.exits - (s.exitsSeen.get(c.index) ?? 0)) | 0;
            s.exitsSeen.set(c.index, now.exits);
            if (n > 0) env.emit({ type: 'gp', vcpu: c.name, vpasid: now.exitVpasid, reason: 'unmapped', count: n, t: env.now() });
          }
          break;
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${actorName}: ${(e as Error).message}`),
  );
}
