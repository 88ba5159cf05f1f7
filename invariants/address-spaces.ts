// The ioasid-isolation witness's writer: the auditor's view of each IOASID's address space, from
// the calls alone. A MAP (or BIND_PGTBL) may map its range from the moment it is called; once it
// fails the range is dropped again; an UNMAP removes its range once it returns ok; DESTROY, a
// process exit and a new ALLOC of the number leave the IOASID with none. A page the kernel's
// page-fault handler maps (PRI) is announced by a `fault-map` event before it is mapped. A failed UNMAP keeps its
// range (its flush may not have completed). Engines check every translation against the view.
import type { CallEvent, ReplyEvent } from '../actors/events.js';
import { PT_MAX_PAGES } from '../hardware/layout.js';
import { setAddressSpaceWitness } from '../hardware/witness.js';
import type { Hardware } from '../hardware/layout.js';

/** IOVA pages [iova, iova + pages), clipped to the address space. */
function range(iova: number, pages: number | undefined): number[] {
  const n = pages ?? 1;
  if (!Number.isInteger(iova) || !Number.isInteger(n)) return [];
  const out: number[] = [];
  for (let p = Math.max(0, iova); p < Math.min(PT_MAX_PAGES, iova + n); p++) out.push(p);
  return out;
}

export class AddressSpaceAuditor {
  /** Per IOASID, the IOVA pages MAPs that returned ok left mapped. */
  private readonly mapped = new Map<number, Set<number>>();
  /** MAPs in progress: their IOASID and range. */
  private readonly mapping = new Map<number | string, { readonly ioasid: number; readonly pages: readonly number[] }>();

  constructor(private readonly hw: Hardware) {}

  called(e: CallEvent): void {
    if (e.op === 'map') this.mapping.set(e.id, { ioasid: e.args.ioasid, pages: range(e.args.iova, e.args.pages) });
    else if (e.op === 'bind_pgtbl') this.mapping.set(e.id, { ioasid: e.args.ioasid, pages: range(0, e.args.pages) });
    else return;
    this.publish(this.mapping.get(e.id)!.ioasid);
  }

  answered(e: ReplyEvent): void {
    switch (e.op) {
      case 'map':
      case 'bind_pgtbl': {
        const ioasid = this.settle(e.id, e.result.ok);
        if (ioasid !== null) this.publish(ioasid);
        return;
      }
      case 'unmap': {
        if (!e.result.ok) return;
        const pages = this.pagesOf(e.args.ioasid);
        for (const p of range(e.args.iova, e.args.pages)) pages.delete(p);
        this.publish(e.args.ioasid);
        return;
      }
      case 'destroy':
      case 'mm_exit':
        if (e.result.ok) this.forget(e.args.ioasid);
        return;
      case 'alloc':
        if (e.result.ok) this.forget(e.result.value);
        return;
      default:
        return;
    }
  }

  /** The kernel's page-fault handler maps a page (a page request answered success): judged as a MAP call of it (ids of their own). */
  faultMap(id: number, ioasid: number, iova: number, phase: 'begin' | 'mapped' | 'failed'): void {
    const key = `fault:${id}`;
    if (phase === 'begin') this.mapping.set(key, { ioasid, pages: range(iova, 1) });
    else this.settle(key, phase === 'mapped');
    this.publish(ioasid);
  }

  /** A MAP in progress (`key`) ended: its range stays mapped if it succeeded. Its IOASID, or null if none was in progress. */
  private settle(key: number | string, ok: boolean): number | null {
    const m = this.mapping.get(key);
    this.mapping.delete(key);
    if (!m) return null;
    if (ok) for (const p of m.pages) this.pagesOf(m.ioasid).add(p);
    return m.ioasid;
  }

  private pagesOf(ioasid: number): Set<number> {
    let s = this.mapped.get(ioasid);
    if (!s) {
      s = new Set();
      this.mapped.set(ioasid, s);
    }
    return s;
  }

  private forget(ioasid: number): void {
    this.mapped.delete(ioasid);
    this.publish(ioasid);
  }

  /** What the IOASID may map now: what MAPs left it, and the ranges of MAPs still in progress. */
  private publish(ioasid: number): void {
    const pages = new Set(this.mapped.get(ioasid));
    for (const m of this.mapping.values()) if (m.ioasid === ioasid) for (const p of m.pages) pages.add(p);
    setAddressSpaceWitness(this.hw, ioasid, pages);
  }
}
