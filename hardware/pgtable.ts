// IO page tables, one per bound IOASID: an address space of PT_MAX_PAGES IOVA pages whose PTEs
// map areas of the VM's pages. Areas follow the kernel's io_pagetable: a map may not overlap an
// area (EEXIST), an unmap must cover whole areas (ENOENT when it would split one or finds none),
// and a request that is empty or leaves the address space is EINVAL. An unmap only clears the
// PTEs and hands the pages back: the caller frees them once the caches were flushed.
import { type Hardware, PT, PT_MAX_PAGES, PT_STRIDE } from './layout.js';
import type { PagePool } from './memory.js';

/** One mapping: IOVA pages [iova, iova + pages.length) onto `pages`. */
interface Area {
  readonly iova: number;
  readonly pages: readonly number[];
}

export type PgtableResult<T> = T | { readonly error: 'EINVAL' | 'EEXIST' | 'ENOENT' | 'ENOMEM'; readonly why: string };
// A declaration, not an arrow: Stryker's instrumented arrow would lose the type predicate.
export function isPgtableError<T>(r: PgtableResult<T>): r is Exclude<PgtableResult<T>, T> {
  return typeof r === 'object' && r !== null && 'error' in r;
}

interface Table {
  readonly vm: number;
  readonly areas: Area[];
  /** Pages an unmap took out of the table but could not free (its flush did not complete). */
  readonly held: number[];
  /** One past the highest IOVA page ever mapped: where DMA addresses. */
  extent: number;
}

export class PgtablePool {
  private readonly free: number[];
  private readonly tables = new Map<number, Table>();
  constructor(
    private readonly hw: Hardware,
    private readonly memory: PagePool,
  ) {
    this.free = Array.from({ length: hw.shape.pgtables }, (_, i) => hw.shape.pgtables - 1 - i);
  }

  get live(): number {
    return this.tables.size;
  }

  /** An empty address space of `vm`. */
  create(vm: number): PgtableResult<{ id: number }> {
    const id = this.free.pop();
    if (id === undefined) return { error: 'ENOMEM', why: 'no free IO page table slot' };
    this.hw.pgtables[id * PT_STRIDE + PT.VM] = vm;
    this.tables.set(id, { vm, areas: [], held: [], extent: 0 });
    return { id };
  }

  /** Map `npages` fresh pages of the table's VM at `iova`. */
  map(id: number, iova: number, npages: number): PgtableResult<null> {
    const t = this.tables.get(id)!;
    const bad = checkIovaRange(iova, npages);
    if (bad) return bad;
    const hit = t.areas.find((a) => a.iova < iova + npages && iova < a.iova + a.pages.length);
    if (hit) return { error: 'EEXIST', why: `IOVA pages ${iova}..${iova + npages - 1} overlap the mapping at ${hit.iova}..${hit.iova + hit.pages.length - 1}` };
    const pages = this.memory.take(t.vm, npages);
    if (!pages) return { error: 'ENOMEM', why: `VM has ${this.memory.freeCount(t.vm)} free pages, ${npages} asked` };
    const pt = this.hw.pgtables;
    pages.forEach((p, i) => {
      const pte = id * PT_STRIDE + PT.ENTRIES + 2 * (iova + i);
      pt[pte + 1] = this.memory.generation(p);
      Atomics.store(pt, pte, p + 1); // present last: a walk sees a complete PTE
    });
    t.areas.push({ iova, pages });
    t.extent = Math.max(t.extent, iova + npages);
    return null;
  }

  /** Clear the PTEs of every area inside [iova, iova + npages); their pages, still to be freed. */
  unmap(id: number, iova: number, npages: number): PgtableResult<number[]> {
    const t = this.tables.get(id)!;
    const bad = checkIovaRange(iova, npages);
    if (bad) return bad;
    const end = iova + npages;
    const hit = t.areas.filter((a) => a.iova < end && iova < a.iova + a.pages.length);
    if (hit.length === 0) return { error: 'ENOENT', why: `nothing is mapped at IOVA pages ${iova}..${end - 1}` };
    const split = hit.find((a) => a.iova < iova || a.iova + a.pages.length > end);
    if (split) return { error: 'ENOENT', why: `the mapping at ${split.iova}..${split.iova + split.pages.length - 1} would be split` };
    const pages: number[] = [];
    for (const a of hit) {
      this.clear(id, a);
      pages.push(...a.pages);
      t.areas.splice(t.areas.indexOf(a), 1);
    }
    return pages;
  }

  /** Free pages an unmap handed back (their generations move on). */
  release(pages: readonly number[]): void {
    this.memory.give(pages);
  }

  /** Keep pages an unmap handed back with the table until it is destroyed (their flush failed: a device may still reach them). */
  hold(id: number, pages: readonly number[]): void {
    this.tables.get(id)?.held.push(...pages);
  }

  /** Clear every PTE and free every page, those held included, then the table itself. */
  destroy(id: number): void {
    const t = this.tables.get(id);
    if (!t) return;
    for (const a of t.areas) this.clear(id, a);
    for (const a of t.areas) this.memory.give(a.pages);
    this.memory.give(t.held);
    this.hw.pgtables.fill(0, id * PT_STRIDE, (id + 1) * PT_STRIDE);
    this.tables.delete(id);
    this.free.push(id);
  }

  /** One past the highest IOVA page ever mapped in the table. */
  extent(id: number): number {
    return this.tables.get(id)?.extent ?? 0;
  }

  private clear(id: number, a: Area): void {
    for (let i = 0; i < a.pages.length; i++) Atomics.store(this.hw.pgtables, id * PT_STRIDE + PT.ENTRIES + 2 * (a.iova + i), 0);
  }
}

/** EINVAL for an empty range or one that leaves the address space. */
export function checkIovaRange(iova: number, npages: number): { error: 'EINVAL'; why: string } | null {
  if (!Number.isInteger(npages) || npages < 1) return { error: 'EINVAL', why: `pages must be at least 1 (got ${npages})` };
  if (!Number.isInteger(iova) || iova < 0 || iova + npages > PT_MAX_PAGES) {
    return { error: 'EINVAL', why: `IOVA pages ${iova}..${iova + npages - 1} leave the address space (0..${PT_MAX_PAGES - 1})` };
  }
  return null;
}
