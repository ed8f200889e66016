/**
 * A minimal PNG encoder: 8-bit truecolour (RGB), no interlace, every scanline with filter 0.
 * Enough for `examples.png`; no dependency beyond node:zlib.
 *
 * File layout (PNG 1.2 / ISO 15948; integers big-endian):
 *
 *   8 bytes    signature            89 50 4E 47 0D 0A 1A 0A
 *   chunk      IHDR (13 bytes)      width u32, height u32, bit depth 8, colour type 2 (RGB),
 *                                   compression 0, filter method 0, interlace 0
 *   chunk      IDAT                 zlib stream of H scanlines, each 1 filter byte (0 = None)
 *                                   followed by 3·W bytes R G B
 *   chunk      IEND (empty)
 *
 *   chunk  =   length u32 (of data only) · type (4 ASCII bytes) · data · CRC-32 u32 over type+data
 *
 * CRC-32 is the ISO-HDLC one (reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
 * computed here with the classic 256-entry table.
 */
import { crc32 } from './crc32.ts';
import { writeFileAtomic } from './write-atomic.ts';
import zlib from 'node:zlib';

/** The eight bytes every PNG file starts with. */
export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Largest width or height PNG allows (2³¹ − 1); real limits come from memory first. */
const PNG_MAX_DIMENSION = 0x7fffffff;

/** One chunk, length + type + data + CRC, as bytes. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  // The CRC covers type and data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > PNG_MAX_DIMENSION) {
    throw new Error(`encodePng: ${name} must be an integer in 1..${PNG_MAX_DIMENSION}, got ${value}`);
  }
}

/**
 * Encodes an RGB image as a PNG file.
 * @param width image width W in pixels (≥ 1)
 * @param height image height H in pixels (≥ 1)
 * @param pixels [H, W, 3] row-major RGB bytes, 3·W·H of them
 * @returns the bytes of the PNG file
 */
export function encodePng(width: number, height: number, pixels: Uint8Array): Uint8Array {
  checkDimension('width', width);
  checkDimension('height', height);
  if (!(pixels instanceof Uint8Array)) {
    throw new Error('encodePng: pixels must be a Uint8Array of RGB bytes');
  }
  const rowBytes = 3 * width;
  if (pixels.length !== rowBytes * height) {
    throw new Error(
      `encodePng: pixels has ${pixels.length} bytes but a ${width}×${height} RGB image needs ` +
        `3·${width}·${height} = ${rowBytes * height}`,
    );
  }

  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour RGB
  header[10] = 0; // compression method: deflate
  header[11] = 0; // filter method: adaptive (per-scanline filter byte)
  header[12] = 0; // no interlace

  // [H, 1 + 3·W]: filter byte 0 (None) then the row's bytes unchanged.
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const rawOff = y * (rowBytes + 1); // seek to scanline y
    raw[rawOff] = 0;
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), rawOff + 1);
  }
  const compressed = new Uint8Array(zlib.deflateSync(raw, { level: 9 }));

  const parts = [PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Encodes an RGB image as PNG and writes it to `file`, atomically: the bytes go to a temporary
 * name in the same directory, which is then renamed over `file`.
 * @param file destination path
 * @param width image width W
 * @param height image height H
 * @param pixels [H, W, 3] row-major RGB bytes
 */
export function writePng(file: string, width: number, height: number, pixels: Uint8Array): void {
  writeFileAtomic(file, encodePng(width, height, pixels), 'writePng');
}
