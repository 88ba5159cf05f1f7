// `--trace FILE`: the run as Chrome trace-event JSON (the JSON Object Format that Perfetto and
// chrome://tracing open). Three processes: the uAPI callers (each call a slice from call to
// reply, on as many lanes as calls overlapped, plus the sequence's steps), the actors (one
// track per actor, each message an instant on its receiver's track) and the engine threads
// (one track per piscina worker with its DMA and ENQCMD jobs starting and stopping, and counters of what
// each engine did). Violations are global instants, so they stand out across every track.
// Times are the run's clock (virtual in deterministic mode, so one seed gives one file) in
// microseconds, the format's unit. Tracks and call arguments name VMs, devices and vCPUs as the
// user did: actors carry those names, and call arguments are translated from indices.
import type { SimEvent } from '../actors/events.js';
import { namedArgs } from '../invariants/names.js';
import { UAPI } from '../uapi/ops.js';
import type { Simulation } from '../sim/simulation.js';

export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'C' | 'M';
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly dur?: number;
  readonly s?: 'g' | 'p' | 't';
  readonly cat?: string;
  readonly args?: Record<string, unknown>;
}

export interface TraceDocument {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Record<string, unknown>;
}

/** Microseconds to the nanosecond: finer than any viewer shows, and short to write. */
const roundUs = (us: number) => Math.round(us * 1000) / 1000;
const PID = { uapi: 1, actors: 2, engines: 3 } as const;
const PROCESS_NAMES: Record<number, string> = {
  [PID.uapi]: 'uAPI calls (userspace)',
  [PID.actors]: 'actors',
  [PID.engines]: 'engine threads (piscina workers)',
};
const STEPS_TID = 1;
const FIRST_LANE_TID = 2;
const PASID_TID = 1;
/** Beyond these, calls and messages are counted but not traced, so a long run's file stays loadable. */
const MAX_TRACED_CALLS = 200_000;
const MAX_TRACED_MESSAGES = 200_000;

interface Call {
  readonly op: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly start: number;
  end: number;
  result: Record<string, unknown>;
}

export class TraceRecorder {
  private readonly t0: number;
  private readonly events: TraceEvent[] = [];
  private readonly pending = new Map<number, Call>();
  private readonly calls: Call[] = [];
  private readonly actorTids = new Map<string, number>();
  private readonly engineOfJob = new Map<number, number>();
  private readonly threadNames = new Map<string, string>(); // "pid:tid" -> name
  private lastStepEnd: number | null = null;
  private droppedCalls = 0;
  private tracedMessages = 0;
  private droppedMessages = 0;

  constructor(private readonly sim: Simulation) {
    this.t0 = sim.now();
    this.name(PID.actors, PASID_TID, 'PASID states');
    for (let e = 0; e < sim.options.spec.workers; e++) this.name(PID.engines, e + 1, `engine ${e}`);
    sim.events$.subscribe((e) => this.on(e));
  }

  /** The run's clock (ms) to trace microseconds since the recorder started. */
  private ts(t: number): number {
    return roundUs((t - this.t0) * 1000);
  }

  /** A slice's ts and dur, both from rounded ends, so back-to-back slices never overlap. */
  private span(start: number, end: number): { ts: number; dur: number } {
    const ts = this.ts(start);
    return { ts, dur: roundUs(this.ts(end) - ts) };
  }

  private name(pid: number, tid: number, name: string): void {
    this.threadNames.set(`${pid}:${tid}`, name);
  }

  private actorTid(actor: string): number {
    let tid = this.actorTids.get(actor);
    if (tid === undefined) {
      tid = PASID_TID + 1 + this.actorTids.size;
      this.actorTids.set(actor, tid);
      this.name(PID.actors, tid, actor);
    }
    return tid;
  }

  private on(e: SimEvent): void {
    switch (e.type) {
      case 'call':
        if (this.calls.length + this.pending.size >= MAX_TRACED_CALLS) {
          this.droppedCalls++;
          break;
        }
        this.pending.set(e.id, { op: e.op, args: namedArgs(this.sim.names, e.args), start: e.t, end: e.t, result: {} });
        break;
      case 'reply': {
        const c = this.pending.get(e.id);
        if (!c) break;
        this.pending.delete(e.id);
        c.end = e.t;
        c.result = e.result.ok ? { result: 'ok', value: e.result.value } : { result: e.result.errno, message: e.result.message };
        this.calls.push(c);
        // Jobs (DMA or ENQCMD) start with the ops whose value is a job, and end with `stop`.
        if (UAPI[e.op].binds === 'job' && e.result.ok) {
          // Read the engine now: the job's slot is reused once it stops.
          const job = e.result.value as number;
          this.engineOfJob.set(job, this.sim.jobEngine(job));
          this.jobEvent(job, 'started', e.t, c.args);
        }
        if (e.op === 'stop') {
          const job = e.args.job;
          this.jobEvent(job, 'stopped', e.t, e.result.ok ? { counts: e.result.value } : { result: e.result.errno });
          this.engineOfJob.delete(job);
        }
        break;
      }
      case 'message':
        if (this.tracedMessages >= MAX_TRACED_MESSAGES) {
          this.droppedMessages++;
          break;
        }
        this.tracedMessages++;
        this.events.push({
          name: e.reply ? `reply ${e.kind}` : e.kind,
          cat: 'message',
          ph: 'i',
          s: 't',
          ts: this.ts(e.t),
          pid: PID.actors,
          tid: this.actorTid(e.to),
          args: { from: e.from, to: e.to },
        });
        break;
      case 'pasid':
        this.events.push({
          name: `PASID ${e.pasid} ${e.state}`,
          cat: 'pasid',
          ph: 'i',
          s: 't',
          ts: this.ts(e.t),
          pid: PID.actors,
          tid: PASID_TID,
          args: namedArgs(this.sim.names, { pasid: e.pasid, state: e.state, vm: e.vm }),
        });
        break;
      case 'stats':
        for (const [engine, c] of this.sim.engineCounts().entries())
          this.events.push({ name: `engine ${engine}`, cat: 'stats', ph: 'C', ts: this.ts(e.t), pid: PID.engines, tid: engine + 1, args: { ...c } });
        break;
      case 'violation':
        this.events.push({
          name: `violation: ${e.invariant}`,
          cat: 'violation',
          ph: 'i',
          s: 'g',
          ts: this.ts(e.t),
          pid: PID.uapi,
          tid: STEPS_TID,
          args: { invariant: e.invariant, detail: e.detail, step: e.step },
        });
        break;
      case 'step': {
        const start = this.lastStepEnd ?? this.calls[0]?.start ?? this.t0;
        this.name(PID.uapi, STEPS_TID, 'sequence steps');
        this.events.push({
          name: `step ${e.index} ${e.op}`,
          cat: 'step',
          ph: 'X',
          ...this.span(start, e.t),
          pid: PID.uapi,
          tid: STEPS_TID,
          args: { result: e.result, value: e.value },
        });
        this.lastStepEnd = e.t;
        break;
      }
      default:
        break;
    }
  }

  /** A DMA job starting or stopping, on the track of the engine thread that runs it. */
  private jobEvent(job: number, what: 'started' | 'stopped', t: number, args: Readonly<Record<string, unknown>>): void {
    const engine = this.engineOfJob.get(job);
    if (engine !== undefined)
      this.events.push({ name: `job ${job} ${what}`, cat: 'job', ph: 'i', s: 't', ts: this.ts(t), pid: PID.engines, tid: engine + 1, args: { job, ...args } });
  }

  /** Calls as slices, each on the first lane free at its start, so slices on a lane never overlap. */
  private callSlices(): TraceEvent[] {
    const laneEnds: number[] = [];
    const sorted = [...this.calls].sort((a, b) => a.start - b.start);
    return sorted.map((c) => {
      let lane = laneEnds.findIndex((end) => end <= c.start);
      if (lane < 0) lane = laneEnds.push(0) - 1;
      laneEnds[lane] = c.end;
      this.name(PID.uapi, FIRST_LANE_TID + lane, `caller ${lane + 1}`);
      return { name: c.op, cat: 'uapi', ph: 'X', ...this.span(c.start, c.end), pid: PID.uapi, tid: FIRST_LANE_TID + lane, args: { args: c.args, ...c.result } };
    });
  }

  toJSON(): TraceDocument {
    const slices = this.callSlices();
    const meta: TraceEvent[] = Object.entries(PROCESS_NAMES).map(([pid, name]) => ({
      name: 'process_name',
      ph: 'M',
      ts: 0,
      pid: Number(pid),
      tid: 0,
      args: { name },
    }));
    for (const [key, name] of this.threadNames) {
      const [pid, tid] = key.split(':').map(Number) as [number, number];
      meta.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } });
    }
    return {
      traceEvents: [...meta, ...slices, ...this.events],
      displayTimeUnit: 'ms',
      otherData: {
        tool: 'ioasid-sim',
        seed: this.sim.seed,
        droppedCalls: this.droppedCalls,
        droppedMessages: this.droppedMessages,
        unansweredCalls: this.pending.size,
      },
    };
  }
}
