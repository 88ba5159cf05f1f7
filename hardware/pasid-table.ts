// Per-device PASID tables, VT-d style: a directory indexed by PASID bits 19:6 pointing at leaf
// tables of 64 entries taken from one pool. Entries are published fields-first, valid-last, and
// torn down valid-first (docs/kernel-facts.md#setting-up-a-pasid-entry and
// docs/kernel-facts.md#tearing-down-a-pasid-entry). Every change of an entry (install, a new page
// table, the present bit cleared) bumps its version (PE.GEN, never reset), which the PASID cache
// keeps with what it cached: the auditor's stale-pasid-cache witness compares the two. An install
// also numbers the entry's incarnation (PE.EPOCH), which page requests carry (hardware/prq.ts).
import { type Hardware, LEAF_ENTRIES, PASID_PDE_SHIFT, PE, PE_STRIDE } from './layout.js';

export class PasidTables {
  private nextLeaf = 0;
  /** Installs so far: each entry records its install's number, so a page request names the incarnation it was posted in. */
  private epochs = 0;
  constructor(private readonly hw: Hardware) {}

  /** Word index of (device, pasid)'s entry, allocating its leaf if asked; -1 when none. */
  private entry(device: number, pasid: number, allocate: boolean): number {
    const d = device * this.hw.dirEntries + (pasid >> PASID_PDE_SHIFT);
    let leaf = Atomics.load(this.hw.pasidDir, d) - 1;
    if (leaf < 0) {
      if (!allocate || this.nextLeaf >= this.hw.shape.pasidLeaves) return -1;
      leaf = this.nextLeaf++;
      Atomics.store(this.hw.pasidDir, d, leaf + 1);
    }
    return (leaf * LEAF_ENTRIES + (pasid & (LEAF_ENTRIES - 1))) * PE_STRIDE;
  }

  /** Install a present entry. EBUSY if one is present (never overwrite a live entry). */
  install(device: number, pasid: number, pgtable: number | null): 'ok' | 'EBUSY' | 'ENOMEM' {
    const e = this.entry(device, pasid, true);
    if (e < 0) return 'ENOMEM';
    const t = this.hw.pasidLeaves;
    if (Atomics.load(t, e + PE.VALID) !== 0) return 'EBUSY';
    Atomics.add(t, e + PE.GEN, 1);
    t[e + PE.PGTABLE] = pgtable === null ? 0 : pgtable + 1;
    t[e + PE.EPOCH] = ++this.epochs;
    Atomics.store(t, e + PE.VALID, 1);
    return 'ok';
  }

  /** Point a present entry at a page table (BIND_PGTBL after ALLOW): one atomic word swap. */
  setPgtable(device: number, pasid: number, pgtable: number | null): void {
    const e = this.entry(device, pasid, false);
    if (e < 0) return;
    Atomics.add(this.hw.pasidLeaves, e + PE.GEN, 1);
    Atomics.store(this.hw.pasidLeaves, e + PE.PGTABLE, pgtable === null ? 0 : pgtable + 1);
  }

  /** Step 1 of teardown: clear only the present bit. */
  clearPresent(device: number, pasid: number): void {
    const e = this.entry(device, pasid, false);
    if (e < 0) return;
    Atomics.add(this.hw.pasidLeaves, e + PE.GEN, 1);
    Atomics.store(this.hw.pasidLeaves, e + PE.VALID, 0);
  }

  /** Last step of teardown, after invalidation and drain: zero the rest of the entry (its version stays). */
  zero(device: number, pasid: number): void {
    const e = this.entry(device, pasid, false);
    if (e < 0 || Atomics.load(this.hw.pasidLeaves, e + PE.VALID) !== 0) return;
    this.hw.pasidLeaves[e + PE.PGTABLE] = 0;
    this.hw.pasidLeaves[e + PE.EPOCH] = 0;
  }
}

/** Which entry slot of the leaf tables holds (device, pasid): -1 when its leaf was never allocated. */
export function pasidSlot(hw: Hardware, device: number, pasid: number): number {
  if (pasid <= 0 || pasid >= hw.pasidMax) return -1;
  const leaf = Atomics.load(hw.pasidDir, device * hw.dirEntries + (pasid >> PASID_PDE_SHIFT)) - 1;
  return leaf < 0 ? -1 : leaf * LEAF_ENTRIES + (pasid & (LEAF_ENTRIES - 1));
}

/** The version of entry `slot` (pasidSlot): bumped by every change of the entry. */
export const pasidEntryVersion = (hw: Hardware, slot: number): number => Atomics.load(hw.pasidLeaves, slot * PE_STRIDE + PE.GEN);

/** The install epoch of (device, pasid)'s entry, present or cleared but not yet zeroed (0: none). */
export function entryEpoch(hw: Hardware, device: number, pasid: number): number {
  const slot = pasidSlot(hw, device, pasid);
  return slot < 0 ? 0 : hw.pasidLeaves[slot * PE_STRIDE + PE.EPOCH]!;
}

/** Hardware walk used by engines: the page table id of a present entry, -2 if not present, -1 if no table. */
export function walkPasid(hw: Hardware, device: number, pasid: number): number {
  const slot = pasidSlot(hw, device, pasid);
  if (slot < 0) return -2;
  const e = slot * PE_STRIDE;
  if (Atomics.load(hw.pasidLeaves, e + PE.VALID) === 0) return -2;
  return hw.pasidLeaves[e + PE.PGTABLE]! - 1;
}
