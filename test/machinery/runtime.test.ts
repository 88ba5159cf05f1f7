// The nact facade: what it promises beyond nact itself.
import { expect } from 'chai';
import { type Result, ok } from '../../actors/result.js';
import { type ReplyTo, ask, reply, spawnNamed, startSystem, stopSystem } from '../../actors/runtime.js';

type Echo = { t: 'echo'; n: number; replyTo: ReplyTo<Result<number>> };

describe('actor runtime facade', () => {
  it('two queries in flight never share a reply port, even when nact draws the same random id for both', async () => {
    const system = startSystem(`runtime-test-${process.pid}`);
    try {
      const echo = spawnNamed<null, Echo>(system, 'echo', null, (s, m) => { reply(m.replyTo, ok(m.n)); return s; }, () => undefined);
      const random = Math.random;
      Math.random = () => 0.5; // nact names a query's reply port with Math.random()
      let answers: Promise<Result<number>>[];
      try {
        answers = [1, 2].map((n) => ask('test', echo, { t: 'echo', n }, 500));
      } finally {
        Math.random = random;
      }
      expect(await Promise.all(answers)).to.deep.equal([ok(1), ok(2)]);
    } finally {
      stopSystem(system);
    }
  });
});
