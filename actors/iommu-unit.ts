// One IOMMU unit: the PASID tables of its devices and its invalidation queue. It is the only
// actor that programs PASID entries, and teardown always runs the VT-d order
// (docs/domain.md#tearing-down-a-pasid-entry):
// clear the present bit -> invalidate the IOTLB/device-TLB and wait -> drain in-flight DMA and
// the descriptors the device's work queue accepted -> zero the entry. Only after that may the
// caller free pages or put a kref.
import { noteEntryTeardown } from '../hardware/coverage.js';
import { postInvalidation, waitInvalidation } from '../hardware/invalidation.js';
import { swqDrain } from '../hardware/swq.js';
import { type ActorEnv, TeardownFailure } from './env.js';
import type { IommuMsg } from './protocol.js';
import { err, okVoid } from './result.js';
import { type ActorRef, type ParentRef, reply, replyError, spawnNamed } from './runtime.js';

interface UnitState {
  readonly entries: Map<number, Set<number>>;
} // pasid -> devices with an entry

async function teardownEntry(env: ActorEnv, device: number, pasid: number): Promise<void> {
  const { hw, pasidTables, jobs, waiter } = env.host;
  noteEntryTeardown(hw, jobs, device, pasid); // coverage: what this teardown races, read before it clears anything
  if (env.mutant !== 'skip-pasid-clear') pasidTables.clearPresent(device, pasid);
  if (env.mutant !== 'skip-iotlb-flush') {
    const ticket = await postInvalidation(hw, waiter, device, pasid);
    if (env.injectFault('invalidation-wait')) throw new TeardownFailure(`IOTLB invalidation of PASID ${pasid} on device ${device} did not complete (injected)`);
    await waitInvalidation(hw, waiter, ticket);
  }
  if (env.mutant !== 'skip-drain') {
    if (env.injectFault('drain')) throw new TeardownFailure(`drain of PASID ${pasid} on device ${device} did not complete (injected)`);
    await jobs.drain(device, pasid, waiter);
    // Descriptors queued before the entry was cleared may carry this PASID
    // (docs/domain.md#tearing-down-a-vpasid-translation, step 2).
    await swqDrain(hw, waiter, device);
  }
  pasidTables.zero(device, pasid);
}

export function spawnIommuUnit(parent: ParentRef, env: ActorEnv, index: number): ActorRef<IommuMsg> {
  return spawnNamed<UnitState, IommuMsg>(
    parent,
    `iommu${index}`,
    { entries: new Map() },
    async (s, msg) => {
      const tables = env.host.pasidTables;
      switch (msg.t) {
        case 'install': {
          if (env.injectFault('iommu-install')) {
            reply(msg.replyTo, err('ENOMEM', `iommu${index}: PASID entry install failed (injected)`));
            break;
          }
          const r = tables.install(msg.device, msg.pasid, msg.pgtable, 0);
          if (r !== 'ok') {
            reply(
              msg.replyTo,
              err(r, r === 'EBUSY' ? `PASID ${msg.pasid} entry already present on device ${msg.device}` : `iommu${index}: no free PASID table`),
            );
            break;
          }
          let set = s.entries.get(msg.pasid);
          if (!set) {
            set = new Set();
            s.entries.set(msg.pasid, set);
          }
          set.add(msg.device);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'set-pgtable':
          for (const d of s.entries.get(msg.pasid) ?? []) tables.setPgtable(d, msg.pasid, msg.pgtable);
          reply(msg.replyTo, okVoid);
          break;
        case 'replace': {
          // No window: the entry stays present and points at one table or the other at every
          // instant. Translations cached from the old table are flushed and DMA already
          // translated through it drained before the caller may let go of the old table.
          tables.setPgtable(msg.device, msg.pasid, msg.pgtable);
          const { hw, jobs, waiter } = env.host;
          if (env.mutant !== 'skip-iotlb-flush') await waitInvalidation(hw, waiter, await postInvalidation(hw, waiter, msg.device, msg.pasid));
          if (env.mutant !== 'skip-drain') await jobs.drain(msg.device, msg.pasid, waiter);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'teardown': {
          const set = s.entries.get(msg.pasid);
          if (set?.has(msg.device)) {
            await teardownEntry(env, msg.device, msg.pasid);
            set.delete(msg.device);
            if (set.size === 0) s.entries.delete(msg.pasid);
          }
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'teardown-pasid': {
          const set = s.entries.get(msg.pasid);
          for (const d of [...(set ?? [])]) {
            await teardownEntry(env, d, msg.pasid);
            set!.delete(d);
          }
          s.entries.delete(msg.pasid);
          reply(msg.replyTo, okVoid);
          break;
        }
      }
      return s;
    },
    (e, msg) => replyError(msg, 'EIO', `iommu${index}: ${(e as Error).message}`),
  );
}
