// The auditor's own model of who holds each PASID, built only from what the uAPI answered
// (call arguments and successful replies), never from the model's internals.

export interface Incarnation {
  readonly pasid: number;
  readonly vm: number;
  readonly fd: number;
  readonly holders: Set<string>;
  destroyed: boolean;
}

export class HolderModel {
  readonly fdVm = new Map<number, number>();
  private readonly live = new Map<number, Incarnation[]>(); // newest last
  private readonly deviceHeld = new Map<number, Set<number>>();
  /** PASIDs whose last holder let go, with when: the allocator must show them free. */
  readonly letGo = new Map<number, number>();

  incarnations(pasid: number): readonly Incarnation[] {
    return this.live.get(pasid) ?? [];
  }
  newest(pasid: number): Incarnation | undefined {
    const l = this.live.get(pasid);
    return l?.[l.length - 1];
  }
  held(device: number): ReadonlySet<number> {
    return this.deviceHeld.get(device) ?? new Set();
  }
  *all(): Iterable<Incarnation> {
    for (const l of this.live.values()) yield* l;
  }

  allocated(pasid: number, vm: number, fd: number): Incarnation {
    const inc: Incarnation = { pasid, vm, fd, holders: new Set([`fd:${fd}`]), destroyed: false };
    const l = this.live.get(pasid) ?? [];
    l.push(inc);
    this.live.set(pasid, l);
    this.letGo.delete(pasid);
    return inc;
  }

  /** The newest incarnation of `pasid` that `holder` holds. */
  heldBy(pasid: number, holder: string): Incarnation | undefined {
    const l = this.live.get(pasid) ?? [];
    for (let i = l.length - 1; i >= 0; i--) if (l[i]!.holders.has(holder)) return l[i];
    return undefined;
  }

  take(inc: Incarnation, holder: string): void {
    inc.holders.add(holder);
    const m = /^dev:(\d+)$/.exec(holder);
    if (m) {
      const d = Number(m[1]);
      const s = this.deviceHeld.get(d) ?? new Set();
      s.add(inc.pasid);
      this.deviceHeld.set(d, s);
    }
  }

  drop(inc: Incarnation, holder: string, now: number): void {
    inc.holders.delete(holder);
    const m = /^dev:(\d+)$/.exec(holder);
    if (m) this.deviceHeld.get(Number(m[1]))?.delete(inc.pasid);
    if (inc.holders.size === 0) {
      const l = this.live.get(inc.pasid) ?? [];
      const i = l.indexOf(inc);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) {
        this.live.delete(inc.pasid);
        this.letGo.set(inc.pasid, now);
      }
    }
  }
}
