// IO page tables, one per bound IOASID: a slot with the page count, the VM, and for each IOVA
// page the physical page and the generation it had when it was mapped.
import { type Hardware, PT, PT_MAX_PAGES, PT_STRIDE } from './layout.js';
import type { PagePool } from './memory.js';

export class PgtablePool {
  private readonly free: number[];
  private readonly pages = new Map<number, number[]>();
  constructor(
    private readonly hw: Hardware,
    private readonly memory: PagePool,
  ) {
    this.free = Array.from({ length: hw.shape.pgtables }, (_, i) => hw.shape.pgtables - 1 - i);
  }

  get live(): number {
    return this.pages.size;
  }

  /** Build a page table mapping `npages` fresh pages of `vm`; null when out of slots or pages. */
  create(vm: number, npages: number): { id: number } | { error: 'ENOMEM'; why: string } {
    if (this.free.length === 0) return { error: 'ENOMEM', why: 'no free IO page table slot' };
    const pages = this.memory.take(vm, npages);
    if (!pages) return { error: 'ENOMEM', why: `VM has ${this.memory.freeCount(vm)} free pages, ${npages} asked` };
    const id = this.free.pop()!;
    const base = id * PT_STRIDE;
    const t = this.hw.pgtables;
    pages.forEach((p, i) => {
      t[base + PT.ENTRIES + 2 * i] = p;
      t[base + PT.ENTRIES + 2 * i + 1] = this.memory.generation(p);
    });
    t[base + PT.VM] = vm;
    Atomics.store(t, base + PT.NPAGES, npages); // published last: a walk sees a complete table
    this.pages.set(id, pages);
    return { id };
  }

  /** Wipe the table and free its pages (bumping their generations). */
  destroy(id: number): void {
    const pages = this.pages.get(id);
    if (!pages) return;
    const base = id * PT_STRIDE;
    Atomics.store(this.hw.pgtables, base + PT.NPAGES, 0);
    this.hw.pgtables.fill(0, base + PT.ENTRIES, base + PT.ENTRIES + 2 * PT_MAX_PAGES);
    this.memory.give(pages);
    this.pages.delete(id);
    this.free.push(id);
  }
}
