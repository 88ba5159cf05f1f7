// A guest vCPU: its IA32_PASID MSR, the vPASID of the guest process running on it (PASID in bits
// 19:0, valid bit 31), which every ENQCMD it executes carries. Its submissions run on engine
// threads (hardware/enqcmd.ts); the #GPs the guest took because the valid bit was clear are
// accounted here, as the guest kernel's #GP handler would see them.
import { vcpuCounters, writeMsr } from '../hardware/kvm.js';
import { MSR_PASID_MASK } from '../hardware/layout.js';
import type { ActorEnv } from './env.js';
import type { VcpuMsg } from './protocol.js';
import { err, okVoid } from './result.js';
import { type ActorRef, type ParentRef, reply, replyError, spawnNamed } from './runtime.js';

export interface VcpuOptions {
  readonly index: number;
  readonly name: string;
}

export function spawnVcpu(parent: ParentRef, env: ActorEnv, o: VcpuOptions): ActorRef<VcpuMsg> {
  const actorName = o.name; // `vm1.0`: vCPUs live under a parent of their own
  const { hw } = env.host;
  return spawnNamed<{ gpSeen: number }, VcpuMsg>(
    parent,
    actorName,
    { gpSeen: 0 },
    (s, msg) => {
      switch (msg.t) {
        case 'set-msr':
          // vPASID 0 leaves the valid bit clear: the state before the guest's lazy #GP fix-up.
          if (!Number.isInteger(msg.vpasid) || msg.vpasid < 0 || msg.vpasid > MSR_PASID_MASK) {
            reply(msg.replyTo, err('EINVAL', `vPASID ${msg.vpasid} does not fit IA32_PASID bits 19:0`));
            break;
          }
          writeMsr(hw, o.index, msg.vpasid);
          reply(msg.replyTo, okVoid);
          break;
        case 'gps': {
          const now = vcpuCounters(hw, o.index);
          const n = (now.gp - s.gpSeen) | 0;
          s.gpSeen = now.gp;
          if (n > 0) env.emit({ type: 'gp', vcpu: o.name, vpasid: now.msrVpasid, reason: 'msr-invalid', count: n, t: env.now() });
          break;
        }
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `${actorName}: ${(e as Error).message}`),
  );
}
