// The bench's own arithmetic: a figure is only as good as the counting behind it.
import { expect } from 'chai';
import { interleave, percentile, ratePerSec } from '../../bench/stats.js';

describe('bench stats', () => {
  it('ratePerSec counts the work of every lane, also when lanes finish out of step', async () => {
    let calls = 0;
    const t0 = performance.now();
    const rate = await ratePerSec(60, 16, async (lane) => {
      calls++;
      await new Promise((r) => setTimeout(r, 1 + (lane % 4))); // lanes take turns unevenly
      return 2;
    });
    // Back from a rate to a count (over a span that holds the bench's own): 2 per call, none lost.
    const counted = (rate * (performance.now() - t0)) / 1000;
    expect(counted, `counted ${counted.toFixed(0)} of ${calls * 2}`).to.be.within(calls * 2 * 0.9, calls * 2 * 1.1);
  });

  it('percentile takes the nearest rank; interleave alternates the order each round', async () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).to.equal(3);
    expect(percentile([1, 2, 3, 4, 100], 0.99)).to.equal(100);
    const order: string[] = [];
    await interleave(2, {
      a: async () => {
        order.push('a');
        return 1;
      },
      b: async () => {
        order.push('b');
        return 1;
      },
    });
    expect(order).to.deep.equal(['a', 'b', 'b', 'a']);
  });
});
