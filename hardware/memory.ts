// Guest memory pages: each has an owner VM and a generation bumped when it is freed, so an
// access through a translation made before the free is visible as a stale generation.
import { type Hardware, PG, PG_STRIDE } from './layout.js';

export class PagePool {
  private readonly free: number[][];
  constructor(private readonly hw: Hardware) {
    this.free = hw.shape.vmPages.map((n, vm) => {
      const base = hw.vmPageBase[vm]!;
      // LIFO: a freed page is the next one handed out, so stale accesses hit reused pages.
      return Array.from({ length: n }, (_, i) => base + n - 1 - i);
    });
  }

  freeCount(vm: number): number {
    return this.free[vm]?.length ?? 0;
  }

  /** Take `n` pages of `vm`, or null when the VM has too few left. */
  take(vm: number, n: number): number[] | null {
    const list = this.free[vm];
    if (!list || list.length < n) return null;
    return list.splice(list.length - n, n);
  }

  /** Return pages; each one's generation moves on before it can be reused. */
  give(pages: readonly number[]): void {
    for (const p of pages) {
      Atomics.add(this.hw.memory, p * PG_STRIDE + PG.GEN, 1);
      const vm = Atomics.load(this.hw.memory, p * PG_STRIDE + PG.OWNER) - 1;
      this.free[vm]!.push(p);
    }
  }

  generation(page: number): number {
    return Atomics.load(this.hw.memory, page * PG_STRIDE + PG.GEN);
  }
  data(page: number): number {
    return Atomics.load(this.hw.memory, page * PG_STRIDE + PG.DATA);
  }
}
