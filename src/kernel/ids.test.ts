import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE62, pooledRandomBase62, randomBase62 } from './ids.js';

for (const [name, make] of [
  ['randomBase62', randomBase62],
  ['pooledRandomBase62', pooledRandomBase62],
] as const) {
  describe(name, () => {
    // 2,000 ids of 22 characters take about 45,000 random bytes: the pool is refilled about 11 times.
    const ids = Array.from({ length: 2000 }, () => make(22));

    test('makes ids of the length asked, in base62 only', () => {
      for (const id of ids) assert.match(id, /^[0-9A-Za-z]{22}$/);
      assert.equal(make(1).length, 1);
      assert.equal(make(0), '');
    });

    test('never makes the same id twice', () => {
      assert.equal(new Set(ids).size, ids.length);
    });

    test('uses every character about as often', () => {
      const counts = new Map<string, number>();
      for (const id of ids) for (const c of id) counts.set(c, (counts.get(c) ?? 0) + 1);
      const expected = (ids.length * 22) / BASE62.length;
      assert.equal(counts.size, BASE62.length);
      // 44,000 characters: about 710 each, give or take 27 (one standard deviation); 20% is far outside chance.
      for (const [c, n] of counts)
        assert.ok(Math.abs(n - expected) < expected * 0.2, `${c}: ${n} of ${expected}`);
    });
  });
}
