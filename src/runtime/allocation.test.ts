import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocate, allocationPoint, murmur3, utf8Bytes } from './allocation.js';

const encoder = new TextEncoder();

describe('utf8Bytes', () => {
  it('encodes exactly like TextEncoder, lone surrogates included', () => {
    const samples = [
      '',
      'abc',
      'élan',
      'ß→€',
      '日本語',
      '😀 emoji',
      '\u0000',
      '\ud800',
      'x\udc00y',
      '\ud83d',
      '\ud83d\ude00\ud83d',
    ];
    for (const s of samples) assert.deepEqual(utf8Bytes(s), Array.from(encoder.encode(s)), JSON.stringify(s));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        assert.deepEqual(utf8Bytes(s), Array.from(encoder.encode(s)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('murmur3', () => {
  it('matches the reference MurmurHash3 x86_32 vectors (seed 0)', () => {
    const vectors: [string, number][] = [
      ['', 0x00000000],
      ['a', 0x3c2569b2],
      ['abc', 0xb3dd93fa],
      ['hello', 0x248bfa47],
      ['test', 0xba6bd213],
      ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
    ];
    for (const [s, h] of vectors) assert.equal(murmur3(utf8Bytes(s)), h, s);
  });

  it('returns an unsigned 32-bit integer and maps to [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const h = murmur3(utf8Bytes(`s${i}`));
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
      const p = allocationPoint(`s${i}`, 'a-x');
      assert.ok(p >= 0 && p < 1);
    }
  });
});

describe('allocate', () => {
  const abc = [
    { code: 'A', weight: 1 },
    { code: 'B', weight: 1 },
    { code: 'C', weight: 2 },
  ];

  it('is pinned: these answers must never change (server and script tag must agree across versions)', () => {
    const got = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 'élan', '😀', 'x'].map((s) =>
      allocate(s, 'a-ex', abc),
    );
    assert.deepEqual(got, ['A', 'C', 'B', 'C', 'C', 'B', 'C', 'A', 'C', 'C', 'A']);
  });

  for (const weights of [
    [1, 1],
    [1, 1, 2],
    [3, 1],
    [1, 0, 1, 2],
    [0.2, 0.3, 0.5],
  ]) {
    it(`distributes 100,000 sequential sessions within 1% of weights ${weights.join('/')}`, () => {
      const candidates = weights.map((weight, i) => ({ code: `V${i}`, weight }));
      const counts = new Map<string, number>();
      const n = 100_000;
      for (let i = 1; i <= n; i++) {
        const code = allocate(`s${i}`, 'a-dist', candidates);
        assert.ok(code !== null);
        counts.set(code, (counts.get(code) ?? 0) + 1);
      }
      const total = weights.reduce((x, y) => x + y, 0);
      candidates.forEach(({ code, weight }) => {
        const share = (counts.get(code) ?? 0) / n;
        assert.ok(Math.abs(share - weight / total) < 0.01, `${code}: ${share} vs ${weight / total}`);
      });
      if (weights.includes(0)) assert.equal(counts.get('V1') ?? 0, 0);
    });
  }

  it('never picks a zero-weight candidate and answers null when the total weight is 0', () => {
    assert.equal(allocate('s1', 'a', []), null);
    assert.equal(
      allocate('s1', 'a', [
        { code: 'A', weight: 0 },
        { code: 'B', weight: 0 },
      ]),
      null,
    );
    assert.equal(allocate('s1', 'a', [{ code: 'A', weight: Number.NaN }]), null);
    assert.equal(allocate('s1', 'a', [{ code: 'A', weight: -3 }]), null);
    for (let i = 0; i < 2000; i++) {
      assert.equal(
        allocate(`s${i}`, 'a', [
          { code: 'Z', weight: 0 },
          { code: 'B', weight: 5 },
          { code: 'Y', weight: 0 },
        ]),
        'B',
      );
    }
  });

  it('picks the segment the session point falls in, in the order given', () => {
    for (let i = 0; i < 2000; i++) {
      const p = allocationPoint(`s${i}`, 'a-order');
      const expected = p < 0.25 ? 'A' : p < 0.5 ? 'B' : 'C';
      assert.equal(allocate(`s${i}`, 'a-order', abc), expected);
      const reversed = [...abc].reverse();
      const expectedReversed = p < 0.5 ? 'C' : p < 0.75 ? 'B' : 'A';
      assert.equal(allocate(`s${i}`, 'a-order', reversed), expectedReversed);
    }
  });

  it('depends on the agent as well as the session', () => {
    let differ = 0;
    for (let i = 0; i < 1000; i++)
      if (allocate(`s${i}`, 'a-one', abc) !== allocate(`s${i}`, 'a-two', abc)) differ++;
    assert.ok(differ > 300, `only ${differ} of 1000 differ`);
  });

  it('property: over 10,000 sessions the answer is deterministic and stable under zero-weight additions', () => {
    const sessions: string[] = [];
    for (let i = 0; i < 5000; i++) sessions.push(`s${i}`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        sessions.push(s);
      }),
      { numRuns: 5000, seed: 42 },
    );
    assert.equal(sessions.length, 10_000);
    for (const s of sessions) {
      const first = allocate(s, 'a-prop', abc);
      assert.ok(first === 'A' || first === 'B' || first === 'C');
      assert.equal(
        allocate(
          s,
          'a-prop',
          abc.map((c) => ({ ...c })),
        ),
        first,
      );
      assert.equal(allocate(s, 'a-prop', [...abc, { code: 'Z', weight: 0 }]), first);
      assert.equal(allocate(s, 'a-prop', [{ code: 'Z', weight: 0 }, ...abc]), first);
      // Same as hashing TextEncoder's bytes: non-ASCII sessions hash the same everywhere.
      const p = murmur3(encoder.encode(`a-prop:${s}`)) / 4294967296;
      assert.equal(allocationPoint(s, 'a-prop'), p);
    }
  });
});
