// `list` is derived from the registries: every scenario, mutant, invariant and op, each with
// its one line of meaning.
import { expect } from 'chai';
import { MUTANTS } from '../../actors/env.js';
import { INVARIANTS } from '../../invariants/catalog.js';
import { SCENARIOS } from '../../scenarios/builtins.js';
import { STEP_OPS } from '../../sequence/ops.js';
import { cli, oneJson } from './cli-process.js';

interface Named {
  name?: string;
  id?: string;
  summary?: string;
  meaning?: string;
}

describe('CLI list', function () {
  this.timeout(20_000);

  it('list --json names every scenario, mutant, invariant and op with its meaning', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const l = oneJson<{ kind: string; scenarios: Named[]; mutants: Named[]; invariants: Named[]; ops: Named[] }>(r);
    expect(l.kind).to.equal('list');
    expect(l.scenarios.map((s) => s.name)).to.deep.equal(SCENARIOS.map((s) => s.name));
    expect(l.mutants.map((m) => m.name)).to.deep.equal(Object.keys(MUTANTS));
    expect(l.invariants.map((i) => i.id)).to.deep.equal(Object.keys(INVARIANTS));
    expect(l.ops.map((o) => o.name)).to.deep.equal(STEP_OPS.map((o) => o.name));
    for (const x of [...l.scenarios, ...l.mutants, ...l.invariants, ...l.ops])
      expect(x.summary ?? x.meaning, JSON.stringify(x)).to.be.a('string').that.is.not.empty;
  });

  it('the built-in scenarios include churn, isolation and close-while-busy', () => {
    expect(SCENARIOS.map((s) => s.name)).to.include.members(['teardown-race', 'churn', 'isolation', 'close-while-busy']);
  });

  it('list prints each name with its meaning', async () => {
    const r = await cli(['list']);
    expect(r.code).to.equal(0);
    for (const s of SCENARIOS) expect(r.stdout).to.include(s.name);
    for (const [m, meaning] of Object.entries(MUTANTS))
      expect(r.stdout).to.match(new RegExp(`${m}\\s+${meaning.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const i of Object.keys(INVARIANTS)) expect(r.stdout).to.include(i);
    expect(r.stdout).to.include('bind_pgtbl fd ioasid [pages=16]');
  });
});
