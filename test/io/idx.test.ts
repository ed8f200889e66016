import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeIdx, parseIdx } from '../../src/io/idx.ts';
import { readIdx, writeIdx } from '../../src/io/idx-file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An IDX file built by hand, byte by byte, independently of encodeIdx. */
function handMade(dims: number[], data: number[], typeByte = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeByte;
  header[3] = dims.length;
  dims.forEach((n, d) => header.writeUInt32BE(n, 4 + 4 * d));
  return Buffer.concat([header, Buffer.from(data)]);
}

function put(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const images = { dims: [2, 3, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]) };
const labels = { dims: [4], data: Uint8Array.from([7, 0, 9, 3]) };

describe('readIdx / writeIdx round trip', () => {
  test.each([
    ['images raw', 'img-idx3-ubyte', images, {}],
    ['images gzip', 'img-idx3-ubyte.gz', images, {}],
    ['labels raw', 'lab-idx1-ubyte', labels, {}],
    ['labels gzip (explicit option)', 'lab-explicit', labels, { gzip: true }],
  ])('%s', (_what, name, { dims, data }, options) => {
    const file = path.join(dir, name);
    writeIdx(file, dims, data, options);
    const read = readIdx(file);
    expect(read.dims).toEqual(dims);
    expect(Array.from(read.data)).toEqual(Array.from(data));
  });

  test('gzip files are compressed and raw files are exactly header + data', () => {
    const gz = path.join(dir, 'check.gz');
    const raw = path.join(dir, 'check');
    writeIdx(gz, images.dims, images.data);
    writeIdx(raw, images.dims, images.data);
    const gzBytes = fs.readFileSync(gz);
    expect([gzBytes[0], gzBytes[1]]).toEqual([0x1f, 0x8b]);
    expect(fs.readFileSync(raw)).toEqual(handMade(images.dims, Array.from(images.data)));
    // no temporary files are left behind
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('hand-made files (magic 0x803 and 0x801) parse, raw and gzip', () => {
    const img = handMade([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(img.readUInt32BE(0)).toBe(0x00000803);
    const a = readIdx(put('hand-img', img), { rank: 3 });
    expect(a.dims).toEqual([2, 2, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const lab = handMade([3], [4, 5, 6]);
    expect(lab.readUInt32BE(0)).toBe(0x00000801);
    const b = readIdx(put('hand-lab.gz', zlib.gzipSync(lab)), { rank: 1 });
    expect(b.dims).toEqual([3]);
    expect(Array.from(b.data)).toEqual([4, 5, 6]);
  });

  test('gzip is detected by content, not by name', () => {
    const file = put('no-suffix-but-gzip', zlib.gzipSync(handMade([3], [1, 2, 3])));
    expect(Array.from(readIdx(file).data)).toEqual([1, 2, 3]);
  });

  test('dims are big-endian uint32 (values above 2^16 and 2^24)', () => {
    const bytes = handMade([70000], new Array(70000).fill(1));
    expect(parseIdx(bytes, 'big').dims).toEqual([70000]);
    const header = encodeIdx([0, 0x12345678], new Uint8Array(0));
    expect(Array.from(header)).toEqual([0, 0, 8, 2, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    expect(parseIdx(header, 'header-only').dims).toEqual([0, 0x12345678]);
  });

  test('an empty dimension gives an 8- or 16-byte file with no data', () => {
    const file = path.join(dir, 'empty');
    writeIdx(file, [0, 28, 28], new Uint8Array(0));
    expect(fs.statSync(file).size).toBe(16);
    expect(readIdx(file).dims).toEqual([0, 28, 28]);
  });
});

describe('readIdx errors name the file and the problem', () => {
  const good = handMade([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

  test('missing file', () => {
    const file = path.join(dir, 'does-not-exist-idx3-ubyte');
    expect(() => readIdx(file)).toThrow(`IDX file ${file}: not found`);
  });

  test('a directory instead of a file', () => {
    expect(() => readIdx(dir)).toThrow(new RegExp(`${escape(dir)}.*is a directory`));
  });

  test('wrong magic: nonzero leading bytes', () => {
    const bytes = Buffer.from(good);
    bytes[0] = 0x12;
    const file = put('bad-magic', bytes);
    expect(() => readIdx(file)).toThrow(new RegExp(`${escape(file)}: bad magic number 0x12000803.*first two bytes must be zero`));
  });

  test('wrong magic: element type other than unsigned byte', () => {
    const file = put('float-type', handMade([2], [0, 0], 0x0d));
    expect(() => readIdx(file)).toThrow(new RegExp(`${escape(file)}: bad magic number 0x00000d01: element type 0x0d \\(float32\\) is not supported`));
    const file2 = put('junk-type', handMade([2], [0, 0], 0x42));
    expect(() => readIdx(file2)).toThrow(/junk-type: bad magic number .*0x42 \(not an IDX type\)/);
  });

  test('wrong magic: zero dimensions', () => {
    const file = put('rank0', Buffer.from([0, 0, 8, 0]));
    expect(() => readIdx(file)).toThrow(/rank0: bad magic number 0x00000800: 0 dimensions/);
  });

  test('truncated body', () => {
    const file = put('truncated', good.subarray(0, good.length - 3));
    expect(() => readIdx(file)).toThrow(new RegExp(`${escape(file)}: truncated: .*expected 24 bytes, got 21 bytes`));
  });

  test('truncated body of a gzip file', () => {
    const file = put('truncated.gz', zlib.gzipSync(good.subarray(0, good.length - 1)));
    expect(() => readIdx(file)).toThrow(/truncated\.gz: truncated: .*expected 24 bytes, got 23 bytes/);
  });

  test('truncated header', () => {
    const file = put('short-header', good.subarray(0, 9));
    expect(() => readIdx(file)).toThrow(/short-header: truncated header: 3 dimensions need 16 header bytes, file has 9 bytes/);
    const tiny = put('tiny', Buffer.from([0, 0]));
    expect(() => readIdx(tiny)).toThrow(/tiny: truncated: expected at least 4 header bytes, got 2/);
  });

  test('too long', () => {
    const file = put('too-long', Buffer.concat([good, Buffer.from([9, 9])]));
    expect(() => readIdx(file)).toThrow(new RegExp(`${escape(file)}: too long: .*expected 24 bytes, got 26 bytes`));
  });

  test('wrong number of dimensions', () => {
    const file = put('labels-not-images', handMade([3], [1, 2, 3]));
    expect(() => readIdx(file, { rank: 3 })).toThrow(
      new RegExp(`${escape(file)}: has 1 dimension \\(magic 0x00000801\\) but 3 are expected \\(magic 0x00000803\\)`),
    );
  });

  test('corrupt gzip stream', () => {
    const gz = zlib.gzipSync(good);
    const file = put('corrupt.gz', gz.subarray(0, 12));
    expect(() => readIdx(file)).toThrow(/corrupt\.gz: starts with the gzip magic 0x1f8b but does not inflate/);
  });

  test('parseIdx works on bytes only: gzip bytes are refused with a pointer to readIdx', () => {
    expect(() => parseIdx(zlib.gzipSync(good), 'in-memory.gz')).toThrow(/^IDX file in-memory\.gz: is gzip-compressed \(starts with 0x1f8b\); inflate it first \(readIdx does\)$/);
  });

  test('parseIdx names the given name', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1]), 'my-buffer')).toThrow(/IDX file my-buffer: bad magic number/);
  });
});

describe('writeIdx / encodeIdx argument checks', () => {
  test('data length must match the dims', () => {
    expect(() => writeIdx(path.join(dir, 'x'), [2, 2], new Uint8Array(3))).toThrow(/dims \[2,2\] need 4 bytes but data has 3/);
  });
  test('dims must be integers', () => {
    expect(() => encodeIdx([1.5], new Uint8Array(1))).toThrow(/dimension 0 = 1.5/);
    expect(() => encodeIdx([], new Uint8Array(1))).toThrow(/1 to 255 dimensions/);
  });
  test('an unwritable destination names the file', () => {
    const file = path.join(dir, 'no-such-folder', 'x');
    expect(() => writeIdx(file, [1], new Uint8Array(1))).toThrow(new RegExp(`cannot write ${escape(file)}`));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
