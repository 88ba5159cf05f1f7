// Tests of the machinery: the op table and its one dispatcher. Every consumer is derived from
// the table; these check what the type system cannot: that the names it maps to exist, and that
// the dispatcher's shared work (defaults, argument checks, events) happens for every op.
import { expect } from 'chai';
import type { CallEvent, ReplyEvent } from '../../actors/events.js';
import type { OpName } from '../../actors/protocol.js';
import * as api from '../../api/embedding.js';
import { STEP_OP_BY_NAME } from '../../sequence/ops.js';
import { DEFAULT_PGTBL_PAGES, MAX_DMA_OPS, MAX_ENQCMD_COUNT, OP_NAMES, UAPI } from '../../uapi/ops.js';
import { errno, value, withSim } from '../helpers.js';

describe('the op table', () => {
  it('every op has a summary, and every argument a known kind', () => {
    for (const op of OP_NAMES) {
      const row = UAPI[op];
      expect(row.summary, op).to.be.a('string').that.is.not.empty;
      for (const [name, a] of Object.entries(row.args))
        expect(['vm', 'device', 'vcpu', 'fd', 'ioasid', 'vpasid', 'pasid', 'job', 'count', 'pages', 'seed', 'response', 'cookie'], `${op}.${name}`).to.include(
          a.kind,
        );
    }
  });

  it('every op is a sequence step and is served by a method of an embedding handle', () => {
    const classes: Record<string, { prototype: object }> = {
      IoasidSim: api.IoasidSim,
      FdHandle: api.FdHandle,
      DeviceHandle: api.DeviceHandle,
      KvmHandle: api.KvmHandle,
      VcpuHandle: api.VcpuHandle,
      VIommuHandle: api.VIommuHandle,
      JobHandle: api.JobHandle,
    };
    for (const op of OP_NAMES) {
      expect(STEP_OP_BY_NAME.has(op), `${op} as a sequence step`).to.equal(true);
      const [cls, method] = api.HANDLED_BY[op];
      expect(typeof (classes[cls]?.prototype as Record<string, unknown> | undefined)?.[method], `${op}: ${cls}.${method}`).to.equal('function');
    }
  });
});

describe('the dispatcher', () => {
  it('fills defaults once, and publishes the completed arguments in the call and the reply', () =>
    withSim({}, async (sim) => {
      const seen: (CallEvent | ReplyEvent)[] = [];
      sim.events$.subscribe((e) => {
        if (e.type === 'call' || e.type === 'reply') seen.push(e);
      });
      const fd = value(await sim.machine.invoke('open', { vm: 0 }));
      const pasid = value(await sim.machine.invoke('alloc', { fd }));
      value(await sim.machine.invoke('bind_pgtbl', { fd, ioasid: pasid }));
      const bind = seen.filter((e) => e.op === 'bind_pgtbl');
      expect(bind.map((e) => e.type)).to.deep.equal(['call', 'reply']);
      for (const e of bind) expect(e.args).to.deep.equal({ fd, ioasid: pasid, pages: DEFAULT_PGTBL_PAGES });
      const info = value(await sim.machine.ioasidInfo(pasid));
      expect(info.pages).to.equal(DEFAULT_PGTBL_PAGES);
    }));

  it('answers EINVAL at once, for every op, when an argument is not an integer or above its bound; the call is still published', () =>
    withSim({}, async (sim) => {
      let replies = 0;
      sim.events$.subscribe((e) => {
        if (e.type === 'reply') replies++;
      });
      for (const op of OP_NAMES) {
        const args = Object.fromEntries(Object.keys(UAPI[op].args).map((k) => [k, Number.NaN]));
        const r = await sim.machine.invoke(op as OpName, args as never);
        expect(errno(r), op).to.equal('EINVAL');
        expect(r.ok ? '' : r.message, op).to.match(/must be an integer/);
      }
      expect(replies).to.equal(OP_NAMES.length);
      expect(errno(await sim.machine.invoke('dma', { device: 0, ioasid: 1, ops: 1.5 }))).to.equal('EINVAL');
      // A burst that could not finish within the hardware wait bound is refused up front.
      const huge = await sim.machine.invoke('dma', { device: 0, ioasid: 1, ops: MAX_DMA_OPS + 1 });
      expect(huge.ok ? '' : huge.message).to.match(/at most 1000000/);
      expect(errno(await sim.machine.invoke('enqcmd', { vcpu: 0, device: 0, count: MAX_ENQCMD_COUNT + 1 }))).to.equal('EINVAL');
    }));

  it('resolves the target before any message: EBADF for a closed FD, EINVAL for a device the machine lacks', () =>
    withSim({}, async (sim) => {
      const fd = value(await sim.machine.invoke('open', { vm: 0 }));
      value(await sim.machine.invoke('close', { fd }));
      expect(errno(await sim.machine.invoke('alloc', { fd }))).to.equal('EBADF');
      expect(errno(await sim.machine.invoke('allow', { device: 7, fd, ioasid: 1 }))).to.equal('EINVAL');
      expect(errno(await sim.machine.invoke('set_msr', { vcpu: 9, vpasid: 1 }))).to.equal('EINVAL');
    }));
});
