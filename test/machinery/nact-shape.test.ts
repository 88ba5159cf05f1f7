// The check of nact's internals at load: the installed nact passes, and a nact lacking any part
// the runtime relies on fails with one line naming its version and what is missing.
import { expect } from 'chai';
import { type NactParts, PINNED_NACT, checkNact, missingNactParts, nactParts } from '../../actors/nact.js';

/** `real` with an Actor class whose prototype lacks `method` (and a sample actor of that class). */
function withoutActorMethod(real: NactParts, method: string): NactParts {
  const proto = (real.actorClass as { prototype: Record<string, unknown> }).prototype;
  class FakeActor {}
  for (const k of Object.getOwnPropertyNames(proto)) if (k !== method && k !== 'constructor') (FakeActor.prototype as Record<string, unknown>)[k] = proto[k];
  if ('failed' in real.sample) throw new Error(real.sample.failed);
  const actor = Object.assign(Object.create(FakeActor.prototype) as object, real.sample.actor);
  return { ...real, actorClass: FakeActor, sample: { ...real.sample, actor } };
}

function messageOf(parts: NactParts): string {
  try {
    checkNact(parts);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('nact shape check', () => {
  const real = nactParts();

  it(`the installed nact (${PINNED_NACT}) has every part`, () => {
    expect(real.version).to.equal(PINNED_NACT);
    expect(missingNactParts(real)).to.deep.equal([]);
    expect(() => checkNact(real)).to.not.throw();
  });

  it('an Actor without processNext: one line with the version and the missing method', () => {
    const parts = withoutActorMethod(real, 'processNext');
    expect(missingNactParts(parts)).to.deep.equal(['Actor.prototype.processNext()']);
    const m = messageOf(parts);
    expect(m).to.not.include('\n');
    expect(m).to.equal(
      `nact ${PINNED_NACT} lacks what ioasid-sim's actors/nact.ts relies on (written against nact ${PINNED_NACT}): Actor.prototype.processNext()`,
    );
  });

  it('another version without dispatch, and a registry without the sample actor: each missing part named once', () => {
    const { dispatch: _gone, ...api } = real.api as Record<string, unknown>;
    if ('failed' in real.sample) throw new Error(real.sample.failed);
    const m = messageOf({ ...real, version: '8.0.0', api, sample: { ...real.sample, actor: undefined } });
    expect(m).to.match(/^nact 8\.0\.0 lacks .*: nact\.dispatch\(\), system-map find\(system, ref\) giving the Actor$/);
  });

  it('an unreadable version, and a spawn that throws', () => {
    const m = messageOf({ ...real, version: undefined, sample: { failed: 'boom' } });
    expect(m).to.match(/^nact \(version unreadable\) lacks .*: a working spawn \(boom\)$/);
  });
});
