// The package ships JavaScript only: the part of its API Tessera uses.
declare module 'bloomfilter' {
  export class BloomFilter {
    constructor(bits: number, hashes: number);
    readonly m: number;
    readonly k: number;
    add(value: string): void;
    test(value: string): boolean;
    static withTargetError(expected: number, error: number): BloomFilter;
  }
}
