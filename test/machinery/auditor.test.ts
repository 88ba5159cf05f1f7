// The auditor's authorisation witness under concurrent calls: replies arriving in an order that
// the correct model allows must never revoke a (device, PASID) something still authorises.
import { expect } from 'chai';
import type { CallEvent, ReplyEvent } from '../../actors/events.js';
import type { OpName } from '../../actors/protocol.js';
import { type Result, err, ok } from '../../actors/result.js';
import { createHardware } from '../../hardware/layout.js';
import { isAuthorised } from '../../hardware/witness.js';
import { Monitor } from '../../invariants/monitor.js';

function rig() {
  const hw = createHardware({ pasidBits: 8, deviceVm: [0, 0], vmPages: [16], engines: 1, pasidLeaves: 4, pgtables: 4, vcpuVm: [] });
  const monitor = new Monitor({
    hw,
    deviceVm: [0, 0],
    names: { vm: ['vm0'], device: ['dev0', 'dev1'], vcpu: [] },
    vmQuota: [null],
    pasidState: async () => ok('free'),
    onViolation: () => {},
  });
  let id = 0;
  const call = (op: OpName, args: Record<string, unknown>) => {
    const i = ++id;
    monitor.observe({ type: 'call', id: i, op, args, t: 0 } as CallEvent);
    return i;
  };
  const reply = (i: number, op: OpName, args: Record<string, unknown>, result: Result<unknown>) =>
    monitor.observe({ type: 'reply', id: i, op, args, result, t: 0 } as ReplyEvent);
  const done = (op: OpName, args: Record<string, unknown>, result: Result<unknown>) => reply(call(op, args), op, args, result);
  return { hw, monitor, call, reply, done };
}

describe('auditor witness', () => {
  it('a failed ALLOW does not revoke a concurrent ALLOW of the same (device, PASID) still in progress', () => {
    const { hw, call, reply, done } = rig();
    done('open', { vm: 0 }, ok(3));
    done('alloc', { fd: 3 }, ok(1));
    const a = { device: 0, fd: 3, ioasid: 1 };
    const first = call('allow', a);
    const second = call('allow', a);
    reply(second, 'allow', a, err('EEXIST', 'already allowed')); // answered before the first
    expect(isAuthorised(hw, 0, 1), 'the first ALLOW still authorises it').to.equal(true);
    reply(first, 'allow', a, ok(null));
    expect(isAuthorised(hw, 0, 1)).to.equal(true);
  });

  it("DESTROY's reply does not revoke the PASID's next incarnation, allowed while the reply was on its way", () => {
    const { hw, monitor, call, reply, done } = rig();
    done('open', { vm: 0 }, ok(3));
    done('alloc', { fd: 3 }, ok(1));
    const d = { fd: 3, ioasid: 1 };
    const destroy = call('destroy', d); // the FD held the last kref: the PASID is free once it ran
    done('alloc', { fd: 3 }, ok(1)); // ...and handed out again before the DESTROY reply
    done('allow', { device: 1, fd: 3, ioasid: 1 }, ok(null));
    reply(destroy, 'destroy', d, ok(null));
    expect(isAuthorised(hw, 1, 1), 'the new incarnation is allowed on device 1').to.equal(true);
    expect(monitor.violations).to.deep.equal([]);
    done('disallow', { device: 1, fd: 3, ioasid: 1 }, ok(null));
    expect(isAuthorised(hw, 1, 1)).to.equal(false);
  });
});
