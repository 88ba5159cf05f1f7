// Bad input through the embedding API: createSimulation options that describe no machine (an
// InputError, errno EINVAL, naming the field), and handle calls with arguments no caller may
// give (a Result with EINVAL or EBADF, at once: no call may wait out a timeout to say so).
import type { DeviceHandle, FdHandle, IoasidSim, KvmHandle, Result, VIommuHandle, VcpuHandle } from '../../index.js';

/** [case name, createSimulation's options, what the message says]. */
export const SPEC_CASES: readonly [string, unknown, RegExp][] = [
  [
    'pages -5 (was accepted)',
    { machine: { vms: [{ name: 'vm1', pages: -5 }] } },
    /field 'machine\.vms\[0\]\.pages': must be an integer in 1\.\.1048576 \(got -5\)/,
  ],
  ['seed NaN (was accepted)', { seed: Number.NaN }, /field 'seed': must be an integer in 0\.\.4294967295 \(got NaN\)/],
  ['seed negative', { seed: -1 }, /field 'seed': must be an integer/],
  ['seed beyond 32 bits', { seed: 2 ** 32 }, /field 'seed': must be an integer in 0\.\.4294967295/],
  ['seed a string', { seed: '1' }, /field 'seed': must be an integer/],
  ['seed Infinity', { seed: Number.POSITIVE_INFINITY }, /field 'seed': must be an integer/],
  ['mode a word (was accepted)', { mode: 'bogus' }, /field 'mode': must be \{ mode: 'threads' \}/],
  ['mode an unknown kind', { mode: { mode: 'bogus' } }, /field 'mode(\.mode)?': must be \{ mode: 'threads' \}/],
  ['deterministic mode, unknown strategy', { mode: { mode: 'deterministic', strategy: 'dfs', pctDepth: 3 } }, /field 'mode\.strategy': unknown strategy "dfs"/],
  [
    'deterministic mode, pctDepth 0',
    { mode: { mode: 'deterministic', strategy: 'pct', pctDepth: 0 } },
    /field 'mode\.pctDepth': must be an integer in 1\.\.64/,
  ],
  ['deterministic mode without a strategy', { mode: { mode: 'deterministic', pctDepth: 3 } }, /field 'mode\.strategy': missing/],
  ['threads mode with a strategy', { mode: { mode: 'threads', strategy: 'pct' } }, /field 'mode\.strategy': unknown field/],
  ['an unknown option', { seeds: 3 }, /field 'seeds': unknown field/],
  ['options not a mapping', 5, /must be a mapping/],
  ['machine not a mapping', { machine: 'big' }, /field 'machine': must be a mapping/],
  ['an unknown machine field', { machine: { cpus: 2 } }, /field 'machine\.cpus': unknown field/],
  ['workers 0', { machine: { workers: 0 } }, /field 'machine\.workers': must be an integer in 1\.\.64/],
  ['workers 65', { machine: { workers: 65 } }, /field 'machine\.workers': must be an integer in 1\.\.64/],
  ['unknown mutant', { machine: { mutant: 'skip-everything' } }, /field 'machine\.mutant': unknown mutant/],
  ['pasidBits 21', { machine: { pasidBits: 21 } }, /field 'machine\.pasidBits': must be an integer in 1\.\.20/],
  ['destroyPolicy unknown', { machine: { destroyPolicy: 'never' } }, /field 'machine\.destroyPolicy': must be park or ebusy/],
  ['iommus 0', { machine: { iommus: 0 } }, /field 'machine\.iommus': must be an integer in 1\.\.64/],
  ['vms empty', { machine: { vms: [] } }, /field 'machine\.vms': must be a list of 1\.\.64 items/],
  ['a VM without a name', { machine: { vms: [{ pages: 16 }] } }, /field 'machine\.vms\[0\]\.name': missing/],
  ['two VMs of one name', { machine: { vms: [{ name: 'a' }, { name: 'a' }] } }, /field 'machine\.vms\[1\]\.name': 'a' is used twice/],
  [
    'a device on an IOMMU the machine lacks',
    { machine: { vms: [{ name: 'vm1', devices: [{ name: 'd', iommu: 2 }] }] } },
    /devices\[0\]\.iommu': must be an integer in 0\.\.0/,
  ],
  ['a device flag not a boolean', { machine: { vms: [{ name: 'vm1', devices: [{ name: 'd', ats: 'yes' }] }] } }, /devices\[0\]\.ats': must be true or false/],
  ['vcpus negative', { machine: { vms: [{ name: 'vm1', vcpus: -1 }] } }, /vms\[0\]\.vcpus': must be an integer in 0\.\.64/],
  ['replyTimeoutMs 0', { machine: { replyTimeoutMs: 0 } }, /field 'machine\.replyTimeoutMs': must be an integer/],
  ['landingLatencyUs negative', { machine: { landingLatencyUs: -1 } }, /field 'machine\.landingLatencyUs': must be an integer/],
  ['publishMessages not a boolean', { publishMessages: 'yes' }, /field 'publishMessages': must be true or false/],
];

/** What a call case works with: one simulation's handles, and another simulation's. */
export interface Handles {
  readonly sim: IoasidSim;
  readonly fd: FdHandle;
  readonly pasid: number;
  readonly dev: DeviceHandle;
  readonly kvm: KvmHandle;
  readonly vcpu: VcpuHandle;
  readonly viommu: VIommuHandle;
  readonly other: { readonly fd: FdHandle; readonly dev: DeviceHandle };
}

// JavaScript callers pass what TypeScript would refuse: the casts stand for them.
const any = <T>(x: unknown) => x as T;

/** [case name, the call, the errno it must answer, what the message says]. */
export const CALL_CASES: readonly [string, (h: Handles) => Promise<Result<unknown>>, 'EINVAL' | 'EBADF', RegExp][] = [
  ['dma ops -1 (was a 15 s wait for EIO)', (h) => h.dev.dma(h.pasid, -1), 'EINVAL', /argument 'ops' must not be negative/],
  ['dma ops a fraction', (h) => h.dev.dma(h.pasid, 1.5), 'EINVAL', /argument 'ops' must be an integer/],
  ['dma ops NaN', (h) => h.dev.dma(h.pasid, Number.NaN), 'EINVAL', /argument 'ops' must be an integer/],
  ['dma ops too many', (h) => h.dev.dma(h.pasid, 1e7), 'EINVAL', /argument 'ops' is at most 1000000/],
  ['dma ops a string', (h) => h.dev.dma(h.pasid, any('10')), 'EINVAL', /argument 'ops' must be an integer/],
  ['dma PASID -1', (h) => h.dev.dma(-1, 10), 'EINVAL', /argument 'ioasid' must not be negative/],
  ['dmaStart PASID NaN', (h) => h.dev.dmaStart(Number.NaN), 'EINVAL', /argument 'ioasid' must be an integer/],
  ['bindPgtbl pages -1', (h) => h.fd.bindPgtbl(h.pasid, -1), 'EINVAL', /argument 'pages' must not be negative/],
  ['destroy IOASID -1', (h) => h.fd.destroy(-1), 'EINVAL', /argument 'ioasid' must not be negative/],
  ['pasidState -1', (h) => h.sim.pasidState(-1), 'EINVAL', /argument 'ioasid' must not be negative/],
  ['open a VM by number', (h) => h.sim.open(any(0)), 'EINVAL', /no VM named 0/],
  ['open an unknown VM', (h) => h.sim.open('vm9'), 'EINVAL', /no VM named vm9/],
  ['setPasid vPASID -1', (h) => h.kvm.setPasid(-1, h.fd, h.pasid), 'EINVAL', /argument 'vpasid' must not be negative/],
  ['clearPasid vPASID a fraction', (h) => h.kvm.clearPasid(0.5), 'EINVAL', /argument 'vpasid' must be an integer/],
  ['setMsr vPASID -1', (h) => h.vcpu.setMsr(-1), 'EINVAL', /argument 'vpasid' must not be negative/],
  ['enqcmd count -1', (h) => h.vcpu.enqcmd(h.dev, -1), 'EINVAL', /argument 'count' must not be negative/],
  ['enqcmd count too many', (h) => h.vcpu.enqcmd(h.dev, 1e6), 'EINVAL', /argument 'count' is at most 10000/],
  ['viommu bind vPASID -1', (h) => h.viommu.bind(h.dev, -1), 'EINVAL', /argument 'vpasid' must not be negative/],
  ["allow with another simulation's FD", (h) => h.dev.allow(h.other.fd, h.pasid), 'EBADF', /belongs to another simulation/],
  ["disallow with another simulation's FD", (h) => h.dev.disallow(h.other.fd, h.pasid), 'EBADF', /belongs to another simulation/],
  ["setPasid with another simulation's FD", (h) => h.kvm.setPasid(1, h.other.fd, h.pasid), 'EBADF', /belongs to another simulation/],
  ["enqcmd to another simulation's device", (h) => h.vcpu.enqcmd(h.other.dev, 1), 'EBADF', /belongs to another simulation/],
  ["enqcmdStart to another simulation's device", (h) => h.vcpu.enqcmdStart(h.other.dev), 'EBADF', /belongs to another simulation/],
  ["viommu bind of another simulation's device", (h) => h.viommu.bind(h.other.dev, 1), 'EBADF', /belongs to another simulation/],
  ['allow with no FD at all', (h) => h.dev.allow(any(undefined), h.pasid), 'EBADF', /not a handle of this simulation/],
  ['allow with a look-alike FD', (h) => h.dev.allow(any({ fd: h.fd.fd, owner: h.sim }), h.pasid), 'EBADF', /not a handle of this simulation/],
  ['enqcmd with no device', (h) => h.vcpu.enqcmd(any(null), 1), 'EBADF', /not a handle of this simulation/],
];

export const API_CASE_COUNT = SPEC_CASES.length + CALL_CASES.length;
