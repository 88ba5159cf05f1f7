// Per-device PASID tables, VT-d style: a directory indexed by PASID bits 19:6 pointing at leaf
// tables of 64 entries taken from one pool. Entries are published fields-first, valid-last, and
// torn down valid-first (docs/domain.md#setting-up-a-pasid-entry and
// docs/domain.md#tearing-down-a-pasid-entry).
import { type Hardware, LEAF_ENTRIES, PASID_PDE_SHIFT, PE, PE_STRIDE } from './layout.js';

export class PasidTables {
  private nextLeaf = 0;
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
  install(device: number, pasid: number, pgtable: number | null, gen: number): 'ok' | 'EBUSY' | 'ENOMEM' {
    const e = this.entry(device, pasid, true);
    if (e < 0) return 'ENOMEM';
    const t = this.hw.pasidLeaves;
    if (Atomics.load(t, e + PE.VALID) !== 0) return 'EBUSY';
    t[e + PE.PGTABLE] = pgtable === null ? 0 : pgtable + 1;
    t[e + PE.GEN] = gen;
    Atomics.store(t, e + PE.VALID, 1);
    return 'ok';
  }

  /** Point a present entry at a page table (BIND_PGTBL after ALLOW): one atomic word swap. */
  setPgtable(device: number, pasid: number, pgtable: number | null): void {
    const e = this.entry(device, pasid, false);
    if (e >= 0) Atomics.store(this.hw.pasidLeaves, e + PE.PGTABLE, pgtable === null ? 0 : pgtable + 1);
  }

  /** Step 1 of teardown: clear only the present bit. */
  clearPresent(device: number, pasid: number): void {
    const e = this.entry(device, pasid, false);
    if (e >= 0) Atomics.store(this.hw.pasidLeaves, e + PE.VALID, 0);
  }

  /** Last step of teardown, after invalidation and drain: zero the rest of the entry. */
  zero(device: number, pasid: number): void {
    const e = this.entry(device, pasid, false);
    if (e >= 0 && Atomics.load(this.hw.pasidLeaves, e + PE.VALID) === 0) this.hw.pasidLeaves.fill(0, e, e + PE_STRIDE);
  }
}

/** Hardware walk used by engines: the page table id of a present entry, -2 if not present, -1 if no table. */
export function walkPasid(hw: Hardware, device: number, pasid: number): number {
  if (pasid <= 0 || pasid >= hw.pasidMax) return -2;
  const leaf = Atomics.load(hw.pasidDir, device * hw.dirEntries + (pasid >> PASID_PDE_SHIFT)) - 1;
  if (leaf < 0) return -2;
  const e = (leaf * LEAF_ENTRIES + (pasid & (LEAF_ENTRIES - 1))) * PE_STRIDE;
  if (Atomics.load(hw.pasidLeaves, e + PE.VALID) === 0) return -2;
  return hw.pasidLeaves[e + PE.PGTABLE]! - 1;
}
