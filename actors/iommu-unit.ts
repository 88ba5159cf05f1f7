// One IOMMU unit: the PASID tables of its devices, its PASID cache and IOTLB (the engines' slices
// of them) and its own invalidation queue. It is the only actor that programs PASID entries, and
// teardown always runs the VT-d order (docs/kernel-facts.md#tearing-down-a-pasid-entry):
// clear the present bit -> invalidate the PASID cache, the IOTLB and, for a device with ATS, its
// device TLB, and wait -> drain in-flight DMA and the descriptors the device's work queue
// accepted -> for a device with PRI, drain its page requests (answer the pending ones invalid,
// then a fenced IOTLB and device-TLB flush) -> zero the entry. Only after that may the caller free pages or put a kref. An unmap
// (docs/kernel-facts.md#unmapping-under-dma) flushes the IOTLB and device TLBs over its range and
// drains the same way before its pages are freed.
import { noteEntryTeardown, notePageResponses } from '../hardware/coverage.js';
import { type InvalidationTarget, postInvalidation, waitInvalidation } from '../hardware/invalidation.js';
import { InvKind } from '../hardware/layout.js';
import { prqDrain } from '../hardware/prq.js';
import { swqDrain } from '../hardware/swq.js';
import { type ActorEnv, type FallibleSite, TeardownFailure } from './env.js';
import type { IommuMsg } from './protocol.js';
import { err, okVoid } from './result.js';
import { type ActorRef, type ParentRef, reply, replyError, spawnNamed } from './runtime.js';

interface UnitState {
  readonly entries: Map<number, Set<number>>;
} // pasid -> devices with an entry

/**
 * Post the descriptors to `unit`'s queue, then wait for the last one (a queue completes in order).
 * The wait of a teardown, of an entry change and of an unmap is a fail-nth site (`site`): its
 * failure fails the call, which is undone or (teardown) a retry can finish.
 */
async function invalidate(env: ActorEnv, unit: number, what: readonly InvalidationTarget[], site: FallibleSite | null = null): Promise<void> {
  const { hw, waiter } = env.host;
  let ticket = 0;
  for (const d of what) ticket = await postInvalidation(hw, waiter, unit, d);
  if (what.length === 0) return;
  if (site && env.injectFault(site)) throw new TeardownFailure(`invalidation on iommu${unit} did not complete (injected)`);
  await waitInvalidation(hw, waiter, unit, ticket);
}

/** The cache flushes a change of (device, pasid)'s entry needs: PASID cache, IOTLB, device TLB (ATS only). */
function entryFlush(env: ActorEnv, device: number, pasid: number): InvalidationTarget[] {
  const what: InvalidationTarget[] = [];
  if (env.mutant !== 'skip-pasid-cache-flush') what.push({ kind: InvKind.PASID_CACHE, device, pasid });
  if (env.mutant !== 'skip-iotlb-flush') what.push({ kind: InvKind.IOTLB, device, pasid });
  if (env.host.hw.deviceAts[device] && env.mutant !== 'skip-devtlb') what.push({ kind: InvKind.DEVTLB, device, pasid });
  return what;
}

/** Wait until nothing (device, pasid) translated before now can still land: DMA batches, then queued descriptors. */
async function drain(env: ActorEnv, device: number, pasid: number, site: 'drain' | 'unmap-drain' | null = null): Promise<void> {
  const { hw, jobs, waiter } = env.host;
  if (site && env.injectFault(site)) throw new TeardownFailure(`drain of PASID ${pasid} on device ${device} did not complete (injected)`);
  await jobs.drain(device, pasid, waiter);
  // Descriptors queued before the entry was cleared may carry this PASID
  // (docs/kernel-facts.md#tearing-down-a-vpasid-translation, step 2).
  await swqDrain(hw, waiter, device);
}

async function teardownEntry(env: ActorEnv, unit: number, device: number, pasid: number): Promise<void> {
  const { hw, pasidTables, jobs } = env.host;
  noteEntryTeardown(hw, jobs, device, pasid); // coverage: what this teardown races, read before it clears anything
  if (env.mutant !== 'skip-pasid-clear') pasidTables.clearPresent(device, pasid);
  await invalidate(env, unit, entryFlush(env, device, pasid), 'invalidation-wait');
  if (env.mutant !== 'skip-drain') await drain(env, device, pasid, 'drain');
  if (hw.devicePri[device] && env.mutant !== 'skip-prq-drain') await drainPageRequests(env, unit, device, pasid);
  pasidTables.zero(device, pasid);
}

/**
 * The PRQ drain (VT-d intel_iommu_drain_pasid_prq, docs/kernel-facts.md#io-page-faults-and-their-drain),
 * once DMA stopped and the entry and TLBs were invalidated: answer every page request of (device,
 * pasid) still queued or taken as invalid (so nothing is left to answer once the PASID is
 * recycled), then fence with a PASID IOTLB flush and a device-TLB flush, and wait.
 */
async function drainPageRequests(env: ActorEnv, unit: number, device: number, pasid: number): Promise<void> {
  const { hw } = env.host;
  notePageResponses(hw, prqDrain(hw, device, pasid, env.mutant !== 'no-auto-response'));
  const fence: InvalidationTarget[] = [{ kind: InvKind.IOTLB, device, pasid }];
  if (hw.deviceAts[device]) fence.push({ kind: InvKind.DEVTLB, device, pasid });
  await invalidate(env, unit, fence);
}

/** After an unmap cleared the PTEs of IOVA pages [iova, iova + pages): flush that range on every device with an entry, and drain. */
async function flushRange(env: ActorEnv, unit: number, devices: readonly number[], pasid: number, iova: number, pages: number): Promise<void> {
  const npages = env.mutant === 'unmap-range-short' ? pages - 1 : pages;
  const what: InvalidationTarget[] = [];
  for (const device of devices) {
    // npages 0 would mean "all": a one-page range cut short is simply not posted.
    if (npages > 0) what.push({ kind: InvKind.IOTLB, device, pasid, iova, npages });
    if (env.host.hw.deviceAts[device] && env.mutant !== 'skip-devtlb' && npages > 0) what.push({ kind: InvKind.DEVTLB, device, pasid, iova, npages });
  }
  await invalidate(env, unit, what, 'unmap-flush');
  for (const device of devices) await drain(env, device, pasid, 'unmap-drain');
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
          const r = tables.install(msg.device, msg.pasid, msg.pgtable);
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
        case 'set-pgtable': {
          // A present-to-present change: the caches may hold the old entry until flushed. Giving
          // the entries a table may fail (MAP is then undone); the undo, back to none, may not.
          const devices = [...(s.entries.get(msg.pasid) ?? [])];
          for (const d of devices) tables.setPgtable(d, msg.pasid, msg.pgtable);
          await invalidate(
            env,
            index,
            devices.flatMap((d) => entryFlush(env, d, msg.pasid)),
            msg.pgtable === null ? null : 'map-flush',
          );
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'flush-range':
          await flushRange(env, index, [...(s.entries.get(msg.pasid) ?? [])], msg.pasid, msg.iova, msg.pages);
          reply(msg.replyTo, okVoid);
          break;
        case 'replace': {
          // No window: the entry stays present and points at one table or the other at every
          // instant. Translations cached from the old table are flushed and DMA already
          // translated through it drained before the caller may let go of the old table.
          if (env.mutant === 'replace-gap') {
            // DETACH then ATTACH: safe for the old table, but the entry is absent in between.
            tables.clearPresent(msg.device, msg.pasid);
            await invalidate(env, index, entryFlush(env, msg.device, msg.pasid));
            await drain(env, msg.device, msg.pasid);
            tables.install(msg.device, msg.pasid, msg.pgtable);
            reply(msg.replyTo, okVoid);
            break;
          }
          tables.setPgtable(msg.device, msg.pasid, msg.pgtable);
          await invalidate(env, index, entryFlush(env, msg.device, msg.pasid));
          if (env.mutant !== 'skip-drain') await drain(env, msg.device, msg.pasid);
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'teardown': {
          const set = s.entries.get(msg.pasid);
          if (set?.has(msg.device)) {
            await teardownEntry(env, index, msg.device, msg.pasid);
            set.delete(msg.device);
            if (set.size === 0) s.entries.delete(msg.pasid);
          }
          reply(msg.replyTo, okVoid);
          break;
        }
        case 'teardown-pasid': {
          const set = s.entries.get(msg.pasid);
          for (const d of [...(set ?? [])]) {
            await teardownEntry(env, index, d, msg.pasid);
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
