import { randomBytes } from 'node:crypto';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string: bytes of 248 and above are rejected so no character is favoured. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const newAccountId = () => `acc-${randomBase62(10)}`;
export const newDeployTargetId = () => `dt-${randomBase62(8)}`;
export const newUserId = () => `usr-${randomBase62(10)}`;
export const newKeyId = () => `key-${randomBase62(10)}`;
