/**
 * CRC-32, IEEE 802.3 (reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF):
 * the checksum of zlib, gzip and PNG, so Python's zlib.crc32(bytes) gives the same number.
 * Used by checkpoints (io/checkpoint.ts) and PNG chunks (io/png.ts).
 *   crc32("123456789") = 0xCBF43926
 */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes`; continue a running checksum by passing the previous value. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
