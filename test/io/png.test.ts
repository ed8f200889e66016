import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { crc32 } from '../../src/io/crc32.ts';
import { PNG_SIGNATURE, encodePng, writePng } from '../../src/io/png.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-png-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** A decoder for exactly what encodePng writes: checks every CRC, undoes filter 0 only. */
function decodePng(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array; chunks: Chunk[] } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const crc = view.getUint32(offset + 8 + length);
    expect(crc, `CRC of ${type}`).toBe(crc32(bytes.subarray(offset + 4, offset + 8 + length)));
    chunks.push({ type, data });
    offset += 12 + length;
  }
  expect(offset).toBe(bytes.length);
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  expect(Array.from(chunks[0].data.subarray(8))).toEqual([8, 2, 0, 0, 0]);
  const raw = zlib.inflateSync(chunks[1].data);
  expect(raw.length).toBe(height * (1 + 3 * width));
  const pixels = new Uint8Array(3 * width * height);
  for (let y = 0; y < height; y++) {
    const rowOff = y * (1 + 3 * width);
    expect(raw[rowOff], `filter byte of row ${y}`).toBe(0);
    pixels.set(raw.subarray(rowOff + 1, rowOff + 1 + 3 * width), 3 * width * y);
  }
  return { width, height, pixels, chunks };
}

describe('encodePng', () => {
  test.each([
    [1, 1],
    [3, 2],
    [7, 5],
    [64, 33],
  ])('round trip %i×%i', (width, height) => {
    const pixels = new Uint8Array(3 * width * height);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i >> 3) * 11) & 0xff;
    const bytes = encodePng(width, height, pixels);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(PNG_SIGNATURE));
    const decoded = decodePng(bytes);
    expect(decoded.width).toBe(width);
    expect(decoded.height).toBe(height);
    expect(Array.from(decoded.pixels)).toEqual(Array.from(pixels));
    expect(decoded.chunks[2].data.length).toBe(0);
  });

  test.each([
    ['width 0', 0, 1, 0, /width must be an integer/],
    ['height -1', 1, -1, 3, /height must be an integer/],
    ['width 2.5', 2.5, 1, 6, /width must be an integer/],
    ['height NaN', 1, Number.NaN, 3, /height must be an integer/],
  ])('rejects %s', (_name, width, height, length, message) => {
    expect(() => encodePng(width, height, new Uint8Array(length))).toThrow(message);
  });

  test('rejects a pixel array of the wrong length, with the sizes in the message', () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(
      'encodePng: pixels has 11 bytes but a 2×2 RGB image needs 3·2·2 = 12',
    );
  });

  test('rejects pixels that are not a Uint8Array', () => {
    expect(() => encodePng(1, 1, [1, 2, 3] as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
});

describe('writePng', () => {
  test('writes the encoded bytes and leaves no temporary file', () => {
    const pixels = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const file = path.join(dir, 'four.png');
    writePng(file, 2, 2, pixels);
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(encodePng(2, 2, pixels));
    expect(fs.readdirSync(dir)).toEqual(['four.png']);
  });

  test('a bad image throws before anything is written', () => {
    const file = path.join(dir, 'bad.png');
    expect(() => writePng(file, 2, 2, new Uint8Array(3))).toThrow(/needs/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
