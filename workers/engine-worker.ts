// piscina entry point: one long task per engine thread. It loops over shared memory until the
// STOP word is set, sleeping on the doorbell when it has no work, and returns its counts.
import { Engine, type EngineOptions } from '../hardware/engine.js';
import { type HardwareBuffers, attachHardware } from '../hardware/layout.js';

export interface EngineTask {
  buffers: HardwareBuffers;
  index: number;
  options: EngineOptions;
  crashForTest?: boolean;
}

export default function runEngine(task: EngineTask): { index: number } {
  const hw = attachHardware(task.buffers);
  const engine = new Engine(hw, task.index, task.options, () => performance.now());
  engine.start();
  try {
    if (task.crashForTest) throw new Error(`engine ${task.index} crashed on purpose (test)`);
    while (!engine.stopRequested) {
      if (!engine.step()) engine.idle(10);
    }
  } finally {
    engine.finish();
  }
  return { index: task.index };
}
