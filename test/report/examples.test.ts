import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type ExampleRow, examplesLayout, renderExamples } from '../../src/report/examples.ts';
import { writeExamplesPng } from '../../src/report/examples-png.ts';
import {
  type Canvas,
  LINE_HEIGHT,
  createCanvas,
  divergingColor,
  drawText,
  getPixel,
  grayLevel,
  hasGlyph,
  textHeight,
  textWidth,
} from '../../src/report/font.ts';
import { PNG_SIGNATURE } from '../../src/io/png.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advgrad-examples-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const EPS = 63.75;

/** A 28×28 test pattern: a diagonal ramp of grey levels 0..255 with one distinctive pixel. */
function pattern(offset: number): number[] {
  return Array.from({ length: 784 }, (_, i) => ((Math.floor(i / 28) + (i % 28)) * 5 + offset) % 256);
}

function row(title: string, trueLabel: number, cleanLabel: string, advLabel: string, offset: number): ExampleRow {
  const clean = pattern(offset);
  const perturbation = clean.map((_, i) => (i % 3 === 0 ? -EPS : EPS));
  return {
    title,
    trueLabel,
    clean: { image: clean, label: cleanLabel },
    perturbation,
    adversarial: { image: clean.map((v, i) => v + perturbation[i]), label: advLabel },
  };
}

const rows = [row('standard model', 7, '7 (0.99)', '3 (0.93)', 0), row('adversarially trained model', 7, '7 (0.98)', '7 (0.84)', 100)];

function countNonBackground(canvas: Canvas, x0: number, y0: number, width: number, height: number): { ink: number; colors: Set<string> } {
  let ink = 0;
  const colors = new Set<string>();
  for (let y = y0; y < y0 + height; y++) {
    for (let x = x0; x < x0 + width; x++) {
      const [r, g, b] = getPixel(canvas, x, y);
      if (r !== 255 || g !== 255 || b !== 255) {
        ink++;
        colors.add(`${r},${g},${b}`);
      }
    }
  }
  return { ink, colors };
}

describe('font and colour maps', () => {
  test('has a glyph for every character the labels and headers need', () => {
    const needed = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:%=()-+ ε·∇η±<>,/';
    expect([...needed].filter((c) => !hasGlyph(c))).toEqual([]);
  });

  test('drawText inks inside its box only and returns the pen position', () => {
    const canvas = createCanvas(40, 30);
    const end = drawText(canvas, 2, 3, 'Ag', [0, 0, 0], 2);
    expect(end).toBe(2 + 2 * 6 * 2);
    expect(textWidth('Ag', 2)).toBe((2 * 6 - 1) * 2);
    const total = countNonBackground(canvas, 0, 0, 40, 30).ink;
    expect(total).toBeGreaterThan(0);
    expect(countNonBackground(canvas, 2, 3, textWidth('Ag', 2), textHeight(2)).ink).toBe(total);
    // 'g' has a descender: ink below the baseline (7 rows × scale 2 under the top).
    expect(countNonBackground(canvas, 2, 3 + 14, textWidth('Ag', 2), 4).ink).toBeGreaterThan(0);
  });

  test('an unknown character is drawn as a box, not skipped', () => {
    const canvas = createCanvas(8, 10);
    drawText(canvas, 0, 0, '\u{1F600}', [0, 0, 0]);
    expect(countNonBackground(canvas, 0, 0, 8, 10).ink).toBe(2 * 5 + 2 * 7 - 4) // the outline of the 5×7 cell;
  });

  test('grey and diverging maps clamp, with white at zero', () => {
    expect([grayLevel(-10, 0, 255), grayLevel(0, 0, 255), grayLevel(127.5, 0, 255), grayLevel(300, 0, 255)]).toEqual([0, 0, 128, 255]);
    expect(divergingColor(0, 1)).toEqual([255, 255, 255]);
    expect(divergingColor(-2, 1)).toEqual([0, 0, 255]);
    expect(divergingColor(2, 1)).toEqual([255, 0, 0]);
    expect(divergingColor(0.5, 1)).toEqual([255, 128, 128]);
  });
});

describe('renderExamples', () => {
  const scale = 4;
  const canvas = renderExamples(rows, { scale });
  const layout = examplesLayout(rows, { scale });

  test('the canvas has the layout size, and the layout fits two rows of 28·scale images', () => {
    expect(canvas.width).toBe(layout.width);
    expect(canvas.height).toBe(layout.height);
    expect(canvas.pixels.length).toBe(3 * canvas.width * canvas.height);
    expect(layout.imageSize).toBe(112);
    expect(layout.rows).toHaveLength(2);
    expect(layout.rows[1].imageY).toBeGreaterThan(layout.rows[0].labelY);
    expect(layout.imageX[2] + layout.imageSize).toBeLessThanOrEqual(canvas.width);
    expect(layout.legendY).toBeLessThan(canvas.height);
  });

  test.each([0, 1])('row %i: every clean pixel appears as a scale×scale block of its grey level', (r) => {
    const image = rows[r].clean.image;
    const { imageY } = layout.rows[r];
    for (let i = 0; i < 784; i++) {
      const g = image[i];
      const x = layout.imageX[0] + (i % 28) * scale;
      const y = imageY + Math.floor(i / 28) * scale;
      expect(getPixel(canvas, x, y)).toEqual([g, g, g]);
      expect(getPixel(canvas, x + scale - 1, y + scale - 1)).toEqual([g, g, g]);
    }
  });

  test('the adversarial image is clamped to 0..255 and the perturbation is red/blue', () => {
    const { imageY } = layout.rows[0];
    const adversarial = rows[0].adversarial.image;
    for (let i = 0; i < 784; i++) {
      const expected = Math.min(255, Math.max(0, Math.round(adversarial[i])));
      expect(getPixel(canvas, layout.imageX[2] + (i % 28) * scale, imageY + Math.floor(i / 28) * scale)).toEqual([expected, expected, expected]);
    }
    expect(getPixel(canvas, layout.imageX[1], imageY)).toEqual([0, 0, 255]); // η[0] = −ε
    expect(getPixel(canvas, layout.imageX[1] + scale, imageY)).toEqual([255, 0, 0]); // η[1] = +ε
  });

  test('labels are drawn under the images, green when right and red when wrong', () => {
    const line = LINE_HEIGHT * layout.textScale;
    const labelArea = (r: number, c: number) =>
      countNonBackground(canvas, layout.columnX[c], layout.rows[r].labelY, layout.columnWidth, line);
    const cleanStandard = labelArea(0, 0);
    const advStandard = labelArea(0, 2);
    const advRobust = labelArea(1, 2);
    expect(cleanStandard.ink).toBeGreaterThan(50);
    expect([...cleanStandard.colors]).toEqual(['0,140,0']);
    expect([...advStandard.colors]).toEqual(['200,0,0']);
    expect([...advRobust.colors]).toEqual(['0,140,0']);
    // The row title and the header carry text too.
    expect(countNonBackground(canvas, 0, layout.rows[0].titleY, canvas.width, line).ink).toBeGreaterThan(100);
    expect(countNonBackground(canvas, 0, 0, canvas.width, layout.ruleY).ink).toBeGreaterThan(100);
  });

  test('an explicit predicted class overrides the label text for the colour', () => {
    const custom = [{ ...rows[0], adversarial: { ...rows[0].adversarial, label: 'seven?', predicted: 7 } }];
    const out = renderExamples(custom, { scale });
    const l = examplesLayout(custom, { scale });
    const { colors } = countNonBackground(out, l.columnX[2], l.rows[0].labelY, l.columnWidth, LINE_HEIGHT * l.textScale);
    expect([...colors]).toEqual(['0,140,0']);
  });

  test('rejects images of the wrong size and empty input, naming the row', () => {
    const bad = [{ ...rows[1], perturbation: new Float32Array(100) }];
    expect(() => renderExamples(bad)).toThrow('row 0 ("adversarially trained model") perturbation must have 784 values, got 100');
    expect(() => renderExamples([])).toThrow(/at least one row/);
    expect(() => renderExamples(rows, { scale: 0 })).toThrow(/scale must be an integer/);
  });
});

describe('writeExamplesPng', () => {
  test('writes a PNG file', () => {
    const file = path.join(dir, 'examples.png');
    writeExamplesPng(file, rows);
    const bytes = fs.readFileSync(file);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(PNG_SIGNATURE));
    const layout = examplesLayout(rows);
    expect(bytes.readUInt32BE(16)).toBe(layout.width);
    expect(bytes.readUInt32BE(20)).toBe(layout.height);
  });
});
