// A machine may have no devices (a VM lists only the devices it names, possibly none): its
// hardware loops over zero devices. shrink writes such machines when no step names a device.
import { expect } from 'chai';
import { parseSequence } from '../../sequence/file.js';
import { runSequence } from '../../sequence/runner.js';

const FILE = `
name: no devices
machine:
  vms:
    - { name: vm1, vcpus: 1, devices: [] }
steps:
  - { op: open, vm: vm1, as: fd1, expect: ok }
  - { op: alloc, fd: fd1, as: a1, expect: ok }
  - { op: kvm_set_pasid, vm: vm1, vpasid: 5, fd: fd1, ioasid: a1, expect: ok }
  - { op: kvm_clear_pasid, vm: vm1, vpasid: 5, expect: ok }
  - { op: destroy, fd: fd1, ioasid: a1, expect: ok }
  - { op: pasid_state, ioasid: a1, expect_value: free }
  - { op: check }
`;

describe('a machine without devices', () => {
  for (const mode of [undefined, { mode: 'deterministic', strategy: 'random', pctDepth: 3 }] as const) {
    it(`runs its calls and audits them (${mode?.mode ?? 'threads'})`, async () => {
      const r = await runSequence(parseSequence(FILE, 'no-devices.yaml'), mode ? { mode } : {});
      expect(r.error).to.equal(undefined);
      expect(r.steps!.filter((s) => !s.met)).to.deep.equal([]);
      expect(r.ok).to.equal(true);
    });
  }
});
