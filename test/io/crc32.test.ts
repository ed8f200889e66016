import { describe, expect, test } from 'vitest';
import { crc32 } from '../../src/io/crc32.ts';

describe('crc32', () => {
  test('the standard check value crc32("123456789") = 0xCBF43926, and zlib\'s value of a pangram', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
  test('empty input gives 0, and CRCs chain', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    const bytes = new TextEncoder().encode('IEND');
    expect(crc32(bytes)).toBe(0xae426082); // the CRC every PNG's IEND chunk ends with
    expect(crc32(bytes.subarray(2), crc32(bytes.subarray(0, 2)))).toBe(crc32(bytes));
  });
});
