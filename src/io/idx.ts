/**
 * IDX files: the format MNIST ships in (LeCun's "idx1-ubyte" / "idx3-ubyte"), read and written,
 * raw or gzip-compressed, with every header field validated.
 *
 * Layout (all integers big-endian):
 *
 *   offset        size   field
 *   0             2      zero bytes                      0x00 0x00
 *   2             1      element type                    0x08 = unsigned byte (the only one
 *                                                        supported; 0x09 int8, 0x0B int16,
 *                                                        0x0C int32, 0x0D float32, 0x0E float64
 *                                                        exist in the format and are refused)
 *   3             1      R, number of dimensions         1 for labels, 3 for images
 *   4             4·R    dims d₀ … d_{R−1}, uint32 each  MNIST images: N, 28, 28; labels: N
 *   4 + 4·R       Π dᵢ   the elements, row-major (last dimension fastest)
 *
 * So the magic number (the first four bytes as one uint32) is 0x00000801 for a label file and
 * 0x00000803 for an image file, and a valid file is exactly 4 + 4·R + Π dᵢ bytes long.
 *
 * A gzip stream starts with the bytes 0x1f 0x8b, which an IDX file never does (its first byte is
 * 0), so compressed files are detected by content, not by name. This file works on bytes and runs
 * anywhere; inflating gzip and the files themselves are Node's part (idx-file.ts: readIdx, writeIdx).
 */

/** Element type code of unsigned bytes, the only IDX element type this reader accepts. */
export const IDX_UBYTE = 0x08;

/** A parsed IDX file of unsigned bytes. */
export interface IdxData {
  /** The dimensions, e.g. `[60000, 28, 28]` for MNIST training images, `[60000]` for labels. */
  dims: number[];
  /** The Π dims elements, row-major. */
  data: Uint8Array;
}

/** Options of {@link parseIdx} and {@link readIdx}. */
export interface IdxReadOptions {
  /** Required number of dimensions (3 for images, 1 for labels); any when omitted. */
  rank?: number;
}

const ELEMENT_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** True when `bytes` starts with the gzip magic 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses the bytes of an uncompressed IDX file of unsigned bytes.
 *
 * @param bytes the whole file's contents.
 * @param name  the file's name or path, used in every error message.
 * @param options `rank`: the number of dimensions the caller requires.
 * @returns `dims` and `data` (Π dims bytes). `data` is a view into `bytes`, not a copy.
 * @throws Error naming `name` and what is wrong: gzip bytes (inflate them first: readIdx does, and
 *   a browser has DecompressionStream('gzip')), bad magic, unsupported element type, wrong number
 *   of dimensions, a header or body shorter or longer than the dims say.
 */
export function parseIdx(bytes: Uint8Array, name: string, options: IdxReadOptions = {}): IdxData {
  if (isGzip(bytes)) {
    throw new Error(`IDX file ${name}: is gzip-compressed (starts with 0x1f8b); inflate it first (readIdx does)`);
  }
  if (bytes.length < 4) {
    throw new Error(`IDX file ${name}: truncated: expected at least 4 header bytes, got ${bytes.length} bytes`);
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `IDX file ${name}: bad magic number ${hex32(magic)}: the first two bytes must be zero ` +
        `(expected 0x00000801 for labels or 0x00000803 for images)`,
    );
  }
  const type = bytes[2];
  if (type !== IDX_UBYTE) {
    const known = ELEMENT_TYPES[type];
    throw new Error(
      `IDX file ${name}: bad magic number ${hex32(magic)}: element type 0x${hex8(type)}` +
        `${known ? ` (${known})` : ' (not an IDX type)'} is not supported, expected 0x08 (unsigned byte)`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) {
    throw new Error(`IDX file ${name}: bad magic number ${hex32(magic)}: 0 dimensions, expected at least 1`);
  }
  if (options.rank !== undefined && rank !== options.rank) {
    throw new Error(
      `IDX file ${name}: has ${rank} dimension${rank === 1 ? '' : 's'} (magic ${hex32(magic)}) ` +
        `but ${options.rank} are expected (magic ${hex32(0x800 | options.rank)})`,
    );
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new Error(
      `IDX file ${name}: truncated header: ${rank} dimensions need ${headerLength} header bytes, file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = new Array<number>(rank);
  let count = 1;
  for (let d = 0; d < rank; d++) {
    dims[d] = view.getUint32(4 + 4 * d, false); // big-endian
    count *= dims[d];
  }
  const expected = headerLength + count;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : 'too long';
    throw new Error(
      `IDX file ${name}: ${problem}: dims [${dims.join(',')}] need ${headerLength} header + ${count} data = ` +
        `expected ${expected} bytes, got ${bytes.length} bytes`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, count) };
}

/**
 * Encodes dims and unsigned-byte data as the bytes of an IDX file (uncompressed).
 *
 * @param dims  1 to 255 dimensions, each an integer in 0 … 2³²−1.
 * @param data  Π dims bytes, row-major.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 255) {
    throw new RangeError(`encodeIdx: dims must list 1 to 255 dimensions, got [${String(dims)}]`);
  }
  let count = 1;
  for (let d = 0; d < dims.length; d++) {
    const n = dims[d];
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`encodeIdx: dims [${dims.join(',')}] has dimension ${d} = ${n}; expected an integer in 0..2^32-1`);
    }
    count *= n;
  }
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`encodeIdx: data must be a Uint8Array (unsigned bytes)`);
  }
  if (data.length !== count) {
    throw new RangeError(`encodeIdx: dims [${dims.join(',')}] need ${count} bytes but data has ${data.length}`);
  }
  const headerLength = 4 + 4 * dims.length;
  const bytes = new Uint8Array(headerLength + count);
  const view = new DataView(bytes.buffer);
  bytes[2] = IDX_UBYTE;
  bytes[3] = dims.length;
  for (let d = 0; d < dims.length; d++) view.setUint32(4 + 4 * d, dims[d], false); // big-endian
  bytes.set(data, headerLength);
  return bytes;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(2, '0');
}
