// The bounds every input is held to, in one low place: the CLI's flags, the files and reports it
// reads and the embedding API's spec check against the same numbers.

/** Seeds are 32-bit: the PRNG takes seed >>> 0, so a larger number would alias a smaller one. */
export const SEED_MAX = 0xffffffff;
/** A run's --duration, and a replayed report's `durationSec`: more than 0, at most a day. */
export const DURATION_MAX_SEC = 86_400;
/** Engine worker threads of a run. */
export const WORKERS_MAX = 64;
/** Worker threads one deterministic sweep runs its seeds on (`sweep --jobs`): each holds a whole simulation. */
export const JOBS_MAX = 64;
/**
 * A scenario run's scale (run's and sweep's flags, and a replayed report's `params`): VMs,
 * devices per VM, concurrent IOASIDs per device, and the PCT strategy's bug depth.
 */
export const SCALE_LIMITS = { vms: 8, devices: 8, pasids: 64, pctDepth: 64 } as const;
/** Seeds one sweep may run (a bigger range is split with --shard, or into several sweeps). */
export const SWEEP_MAX_SEEDS = 100_000;
/** The largest file the CLI reads (sequence files, reports). */
export const MAX_INPUT_BYTES = 1 << 20;
/** The deepest nesting of mappings and lists a file may have. */
export const MAX_NESTING = 64;
/** YAML aliases a sequence file may use (each expands the document: an alias bomb is refused). */
export const MAX_YAML_ALIASES = 100;

/** The uAPI designs a machine may serve: the 2021 /dev/ioasid proposal, and today's iommufd. */
export const UAPI_DESIGN_NAMES = ['ioasid', 'iommufd'] as const;

/** What a machine spec may hold (sequence files' `machine`, createSimulation's `machine`). */
export const MACHINE_LIMITS = {
  iommus: 64,
  pasidBits: 20,
  vms: 64,
  vcpus: 64,
  devices: 64,
  pages: 1 << 20,
  quota: 1 << 20,
  workers: WORKERS_MAX,
} as const;
/** Steps a sequence file may have. */
export const MAX_STEPS = 10_000;
