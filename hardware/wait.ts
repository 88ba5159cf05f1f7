// How the main thread waits for the hardware (engine acknowledgements, in-flight drains).
// Threads mode parks on Atomics.waitAsync; a deterministic scheduler can supply its own Waiter.
import { CTRL } from './layout.js';

export class HardwareFailure extends Error {}

export interface Waiter {
  /** Resolve once `done()` holds; `word` is the Int32 slot whose change may make it hold. */
  until(done: () => boolean, arr: Int32Array, index: number, what: string): Promise<void>;
}

/** Waits on real threads: waitAsync on the slot, re-checking at least every `sliceMs`. */
export function threadWaiter(ctrl: Int32Array, limitMs = 15000, sliceMs = 5): Waiter {
  return {
    async until(done, arr, index, what) {
      const deadline = Date.now() + limitMs;
      while (!done()) {
        if (Atomics.load(ctrl, CTRL.FAILED) !== 0) throw new HardwareFailure(`a worker thread failed while waiting for ${what}`);
        if (Date.now() > deadline) throw new HardwareFailure(`hardware did not answer within ${limitMs} ms while waiting for ${what}`);
        const seen = Atomics.load(arr, index);
        if (done()) return;
        const r = Atomics.waitAsync(arr, index, seen, sliceMs);
        if (r.async) await r.value;
        else await new Promise<void>((res) => setImmediate(res));
      }
    },
  };
}
