/**
 * Deterministic weighted allocation.
 *
 * The same (session, agent, candidates) always gives the same variation, on the server and in the
 * browser script tag alike, so this file is plain TypeScript: no Node built-ins, no TextEncoder
 * (strings are encoded to UTF-8 by hand, exactly as the WHATWG TextEncoder would, lone surrogates
 * becoming U+FFFD), no floating-point surprises beyond one division by 2^32.
 *
 * Hash: MurmurHash3 x86_32, seed 0, over the UTF-8 bytes of `agentCode + ':' + session`.
 * Its final avalanche mixes sequential session ids ("s1", "s2", ...) well.
 */

export interface Candidate {
  code: string;
  weight: number;
}

/** UTF-8 bytes of a string (same output as `new TextEncoder().encode(s)`). */
export function utf8Bytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    if (cp < 0x80) {
      out.push(cp);
    } else if (cp < 0x800) {
      out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    } else {
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
  }
  return out;
}

/** MurmurHash3 x86_32 of a byte array; returns an unsigned 32-bit integer. */
export function murmur3(bytes: ArrayLike<number>, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const len = bytes.length;
  const blocks = len - (len % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] & 0xff) |
      ((bytes[i + 1] & 0xff) << 8) |
      ((bytes[i + 2] & 0xff) << 16) |
      ((bytes[i + 3] & 0xff) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = len & 3;
  if (rest === 3) k ^= (bytes[blocks + 2] & 0xff) << 16;
  if (rest >= 2) k ^= (bytes[blocks + 1] & 0xff) << 8;
  if (rest >= 1) {
    k ^= bytes[blocks] & 0xff;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The point in [0, 1) that a session falls on for an agent. */
export function allocationPoint(session: string, agentCode: string): number {
  return murmur3(utf8Bytes(`${agentCode}:${session}`)) / 4294967296;
}

function usableWeight(w: unknown): number {
  return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 0;
}

/**
 * Weighted pick among `candidates`, in the order given. Candidates with a weight of 0 (or a
 * negative / non-finite one) are never picked. Returns null when the total weight is 0.
 */
export function allocate(session: string, agentCode: string, candidates: Candidate[]): string | null {
  let total = 0;
  for (const c of candidates) total += usableWeight(c.weight);
  if (!(total > 0) || !Number.isFinite(total)) return null;
  const target = allocationPoint(session, agentCode) * total;
  let cumulative = 0;
  let last: string | null = null;
  for (const c of candidates) {
    const w = usableWeight(c.weight);
    if (w === 0) continue;
    cumulative += w;
    last = c.code;
    if (target < cumulative) return c.code;
  }
  // Only reachable through floating-point rounding of the cumulative sum: the last usable one.
  return last;
}
