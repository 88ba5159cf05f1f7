// `--diagram FILE`: the actor messages of a run as a Mermaid `sequenceDiagram`. Participants are
// the actors in order of first appearance, by the names the user gave (`dev1`, `kvm.vm1`, `vm1.0`),
// declared with aliases since names such as `pasid-allocator` would otherwise be read as arrows;
// requests are `->>`, replies `-->>` labelled ok or the errno. A sequence's steps and any
// violation appear as notes. Long runs are cut after the first MAX_DIAGRAM_MESSAGES messages,
// and the diagram says so.
import type { SimEvent } from '../actors/events.js';
import type { Simulation } from '../sim/simulation.js';

const MAX_DIAGRAM_MESSAGES = 400;
/** The name the machine's uAPI entry points send their requests from. */
const CALLER = 'uapi';

/** Mermaid treats `;` and `#` specially and a line break ends a message. */
const label = (s: string) => s.replace(/[;#\r\n]+/g, ' ');

export class DiagramRecorder {
  private readonly aliases = new Map<string, string>();
  private readonly lines: string[] = [];
  /** Where the current step's messages begin: its note goes there, above them. */
  private stepStart = 0;
  private total = 0;

  constructor(sim: Simulation) {
    this.alias(CALLER);
    sim.events$.subscribe((e) => this.on(e));
  }

  private alias(actor: string): string {
    let a = this.aliases.get(actor);
    if (!a) {
      a = `A${this.aliases.size + 1}`;
      this.aliases.set(actor, a);
    }
    return a;
  }

  private get full(): boolean {
    return this.total > MAX_DIAGRAM_MESSAGES;
  }

  private on(e: SimEvent): void {
    if (e.type === 'message') {
      this.total++;
      if (!this.full) this.lines.push(`  ${this.alias(e.from)}${e.reply ? '-->>' : '->>'}${this.alias(e.to)}: ${label(e.kind)}`);
    } else if (e.type === 'step' && !this.full) {
      this.lines.splice(this.stepStart, 0, `  Note over ${this.alias(CALLER)}: step ${e.index} ${e.op} -> ${label(e.result)}`);
      this.stepStart = this.lines.length;
    } else if (e.type === 'violation' && !this.full) {
      this.lines.push(`  Note over ${this.alias(CALLER)}: VIOLATION ${e.invariant}: ${label(e.detail)}`);
    }
  }

  toString(): string {
    const out = ['sequenceDiagram'];
    for (const [actor, a] of this.aliases) out.push(`  participant ${a} as ${label(actor)}`);
    out.push(...this.lines);
    if (this.full) out.push(`  Note over ${this.alias(CALLER)}: diagram cut: the first ${MAX_DIAGRAM_MESSAGES} of ${this.total} messages are shown`);
    else if (this.total === 0) out.push(`  Note over ${this.alias(CALLER)}: no actor messages were sent`);
    return `${out.join('\n')}\n`;
  }
}
