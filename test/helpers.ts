// Shared test plumbing: build a simulation, always shut it down, and unwrap results.
import { expect } from 'chai';
import type { MachineSpec, VmSpec } from '../machine/spec.js';
import { defaultMachineSpec, DEFAULT_DEVICE } from '../machine/spec.js';
import type { Result } from '../actors/result.js';
import { Simulation } from '../sim/simulation.js';

export function vm(name: string, devices: string[], over: Partial<VmSpec> = {}): VmSpec {
  return { name, vcpus: 1, pages: 256, quota: null, devices: devices.map((d) => ({ name: d, ...DEFAULT_DEVICE })), ...over };
}

export async function withSim<T>(over: Partial<MachineSpec>, fn: (sim: Simulation) => Promise<T>, seed = 1): Promise<T> {
  const sim = new Simulation({ spec: defaultMachineSpec(over), seed });
  try {
    return await fn(sim);
  } finally {
    await sim.finish();
  }
}

export function value<T>(r: Result<T>): T {
  if (!r.ok) expect.fail(`expected success, got ${r.errno}: ${r.message}`);
  return r.value;
}

export function errno(r: Result<unknown>): string {
  return r.ok ? 'ok' : r.errno;
}

/**
 * Wait until `cond` holds, for what actors or threads do after a call answered; the bound is
 * generous because a loaded machine is slow to get there, and it costs nothing when `cond` holds
 * soon. It does not throw: the caller's next assertion says what did not happen.
 */
export async function eventually(cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}
