/**
 * A tiny raster toolkit for the report's figures: an RGB canvas, filled rectangles, 28×28 images
 * in grey or in a diverging blue–white–red map, and text in a built-in 5×7 bitmap font.
 *
 * Sizes (in canvas pixels, before `scale`):
 *   GLYPH_WIDTH × GLYPH_HEIGHT = 5 × 7   a glyph above the baseline (capitals, digits)
 *   DESCENT = 2                          rows below the baseline (g, j, p, q, y, η, ',')
 *   CELL_HEIGHT = 9                      GLYPH_HEIGHT + DESCENT, the height text occupies
 *   ADVANCE = 6                          glyph plus one column of spacing
 *   LINE_HEIGHT = 10                     cell plus one row of spacing
 *
 * Every drawing call clips to the canvas, so callers never need to.
 *
 * Longer than most files because a hundred of its lines are the glyph table (GLYPH_ROWS), data
 * that reads best beside the code that draws it.
 */

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/** An RGB raster: `pixels` is [height, width, 3] row-major bytes. */
export interface Canvas {
  width: number;
  height: number;
  pixels: Uint8Array; // [height, width, 3]
}

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;
const DESCENT = 2;
const CELL_HEIGHT = GLYPH_HEIGHT + DESCENT;
/** Horizontal distance between the starts of two consecutive glyphs, unscaled. */
const ADVANCE = GLYPH_WIDTH + 1;
/** Vertical distance between two lines of text, unscaled. */
export const LINE_HEIGHT = CELL_HEIGHT + 1;

/**
 * The glyphs, row by row from the top, '#' for ink: GLYPH_HEIGHT rows, or CELL_HEIGHT rows for
 * those with a descender. Letters in the style of the HD44780 LCD font.
 */
const GLYPH_ROWS: Record<string, readonly string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],

  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['###..', '#..#.', '#...#', '#...#', '#...#', '#..#.', '###..'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],

  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####'],
  b: ['#....', '#....', '#.##.', '##..#', '#...#', '#...#', '####.'],
  c: ['.....', '.....', '.###.', '#....', '#....', '#...#', '.###.'],
  d: ['....#', '....#', '.##.#', '#..##', '#...#', '#...#', '.####'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.'],
  f: ['..##.', '.#..#', '.#...', '###..', '.#...', '.#...', '.#...'],
  g: ['.....', '.....', '.####', '#...#', '#...#', '#...#', '.####', '....#', '.###.'],
  h: ['#....', '#....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.'],
  j: ['...#.', '.....', '..##.', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  k: ['#....', '#....', '#..#.', '#.#..', '##...', '#.#..', '#..#.'],
  l: ['.##..', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#...#', '#...#'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  o: ['.....', '.....', '.###.', '#...#', '#...#', '#...#', '.###.'],
  p: ['.....', '.....', '####.', '#...#', '#...#', '#...#', '####.', '#....', '#....'],
  q: ['.....', '.....', '.####', '#...#', '#...#', '#...#', '.####', '....#', '....#'],
  r: ['.....', '.....', '#.##.', '##..#', '#....', '#....', '#....'],
  s: ['.....', '.....', '.###.', '#....', '.###.', '....#', '####.'],
  t: ['.#...', '.#...', '###..', '.#...', '.#...', '.#..#', '..##.'],
  u: ['.....', '.....', '#...#', '#...#', '#...#', '#..##', '.##.#'],
  v: ['.....', '.....', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  w: ['.....', '.....', '#...#', '#...#', '#.#.#', '#.#.#', '.#.#.'],
  x: ['.....', '.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#'],
  y: ['.....', '.....', '#...#', '#...#', '#...#', '#...#', '.####', '....#', '.###.'],
  z: ['.....', '.....', '#####', '...#.', '..#..', '.#...', '#####'],

  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ',': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..', '..#..', '.#...'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '%': ['##...', '##..#', '...#.', '..#..', '.#...', '#..##', '...##'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  '[': ['.###.', '.#...', '.#...', '.#...', '.#...', '.#...', '.###.'],
  ']': ['.###.', '...#.', '...#.', '...#.', '...#.', '...#.', '.###.'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  '_': ['.....', '.....', '.....', '.....', '.....', '.....', '#####'],
  '!': ['..#..', '..#..', '..#..', '..#..', '..#..', '.....', '..#..'],
  '?': ['.###.', '#...#', '....#', '...#.', '..#..', '.....', '..#..'],
  '|': ['..#..', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  '±': ['..#..', '..#..', '#####', '..#..', '..#..', '.....', '#####'],
  "'": ['..#..', '..#..', '.#...', '.....', '.....', '.....', '.....'],
  '<': ['...#.', '..#..', '.#...', '#....', '.#...', '..#..', '...#.'],
  '>': ['.#...', '..#..', '...#.', '....#', '...#.', '..#..', '.#...'],
  '·': ['.....', '.....', '.....', '..#..', '.....', '.....', '.....'],
  '×': ['.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '.....'],
  'ε': ['.....', '.....', '.###.', '#....', '.##..', '#....', '.###.'],
  'η': ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#', '....#', '....#'],
  'θ': ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '.###.'],
  '∇': ['#####', '#...#', '#...#', '.#.#.', '.#.#.', '..#..', '..#..'],
  '≈': ['.....', '.##.#', '#.##.', '.....', '.##.#', '#.##.', '.....'],
  '≤': ['...#.', '..#..', '.#...', '..#..', '...#.', '.....', '#####'],
  '≥': ['.#...', '..#..', '...#.', '..#..', '.#...', '.....', '#####'],
};

/** Characters drawn as another glyph (typographic variants of ASCII ones). */
const ALIASES: Record<string, string> = { '−': '-', '–': '-', '—': '-', 'ϵ': 'ε', '’': "'" };

/** Each glyph as CELL_HEIGHT bit rows, bit (GLYPH_WIDTH − 1 − col) set where there is ink. */
const GLYPHS: ReadonlyMap<string, Uint8Array> = (() => {
  const map = new Map<string, Uint8Array>();
  for (const [char, rows] of Object.entries(GLYPH_ROWS)) {
    if ((rows.length !== GLYPH_HEIGHT && rows.length !== CELL_HEIGHT) || rows.some((row) => row.length !== GLYPH_WIDTH)) {
      throw new Error(`font: glyph '${char}' is not ${GLYPH_WIDTH}×${GLYPH_HEIGHT} or ${GLYPH_WIDTH}×${CELL_HEIGHT}`);
    }
    const bits = new Uint8Array(CELL_HEIGHT); // rows past the glyph's own stay 0
    rows.forEach((row, r) => {
      bits[r] = [...row].reduce((acc, cell) => (acc << 1) | (cell === '#' ? 1 : 0), 0);
    });
    map.set(char, bits);
  }
  return map;
})();

/** The hollow box drawn for a character the font lacks, so a missing glyph is visible. */
const MISSING_GLYPH = Uint8Array.from([0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111, 0, 0]);

/** True when the font has a glyph (or an alias) for `char`. */
export function hasGlyph(char: string): boolean {
  return GLYPHS.has(char) || char in ALIASES;
}

function glyphFor(char: string): Uint8Array {
  return GLYPHS.get(char) ?? GLYPHS.get(ALIASES[char] ?? '') ?? MISSING_GLYPH;
}

function checkColor(fn: string, color: Rgb): void {
  if (color.length !== 3 || color.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
    throw new Error(`${fn}: color must be [r, g, b] with integers in 0..255, got [${color.join(', ')}]`);
  }
}

function checkScale(fn: string, scale: number): void {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`${fn}: scale must be an integer ≥ 1, got ${scale}`);
}

/**
 * A canvas filled with one colour.
 * @param width canvas width in pixels (integer ≥ 1)
 * @param height canvas height in pixels (integer ≥ 1)
 * @param background fill colour, white by default
 */
export function createCanvas(width: number, height: number, background: Rgb = WHITE): Canvas {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new Error(`createCanvas: width and height must be integers ≥ 1, got ${width}×${height}`);
  }
  checkColor('createCanvas', background);
  const pixels = new Uint8Array(width * height * 3); // [height, width, 3]
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = background[0];
    pixels[i + 1] = background[1];
    pixels[i + 2] = background[2];
  }
  return { width, height, pixels };
}

/** The colour of pixel (x, y). */
export function getPixel(canvas: Canvas, x: number, y: number): Rgb {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) {
    throw new Error(`getPixel: (${x}, ${y}) is outside the ${canvas.width}×${canvas.height} canvas`);
  }
  const off = 3 * (y * canvas.width + x);
  return [canvas.pixels[off], canvas.pixels[off + 1], canvas.pixels[off + 2]];
}

/**
 * Fills the rectangle [x, x + width) × [y, y + height), clipped to the canvas.
 * @param canvas target
 * @param x left edge
 * @param y top edge
 * @param width rectangle width
 * @param height rectangle height
 * @param color fill colour
 */
export function fillRect(canvas: Canvas, x: number, y: number, width: number, height: number, color: Rgb): void {
  checkColor('fillRect', color);
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(canvas.width, Math.floor(x + width));
  const y1 = Math.min(canvas.height, Math.floor(y + height));
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) {
      const off = 3 * (py * canvas.width + px);
      canvas.pixels[off] = color[0];
      canvas.pixels[off + 1] = color[1];
      canvas.pixels[off + 2] = color[2];
    }
  }
}

/** Draws a one-pixel-wide rectangle outline around [x, x + width) × [y, y + height). */
export function strokeRect(canvas: Canvas, x: number, y: number, width: number, height: number, color: Rgb): void {
  fillRect(canvas, x, y, width, 1, color);
  fillRect(canvas, x, y + height - 1, width, 1, color);
  fillRect(canvas, x, y, 1, height, color);
  fillRect(canvas, x + width - 1, y, 1, height, color);
}

/** Width in pixels of `text` drawn at `scale` (no trailing spacing column). */
export function textWidth(text: string, scale = 1): number {
  const count = [...text].length;
  return count === 0 ? 0 : (count * ADVANCE - 1) * scale;
}

/** Height in pixels of one line of text at `scale` (glyphs and descenders, no line spacing). */
export function textHeight(scale = 1): number {
  return CELL_HEIGHT * scale;
}

/**
 * Draws one line of text with its top-left corner at (x, y). Characters without a glyph are drawn
 * as a hollow box.
 * @param canvas target
 * @param x left edge of the first glyph
 * @param y top edge of the glyphs (the baseline is GLYPH_HEIGHT·scale below it)
 * @param text the characters (iterated by code point, so 'ε' counts as one)
 * @param color ink colour
 * @param scale each font pixel becomes a scale × scale block
 * @returns the x just after the last glyph's spacing column, to continue the line
 */
export function drawText(canvas: Canvas, x: number, y: number, text: string, color: Rgb, scale = 1): number {
  checkColor('drawText', color);
  checkScale('drawText', scale);
  let penX = Math.floor(x);
  const top = Math.floor(y);
  for (const char of text) {
    const glyph = glyphFor(char);
    for (let row = 0; row < CELL_HEIGHT; row++) {
      const bits = glyph[row];
      if (bits === 0) continue;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits >> (GLYPH_WIDTH - 1 - col)) & 1) {
          fillRect(canvas, penX + col * scale, top + row * scale, scale, scale, color);
        }
      }
    }
    penX += ADVANCE * scale;
  }
  return penX;
}

/**
 * Grey level of `value` on a linear map from [min, max] to [0, 255] (black to white); values
 * outside the range clamp, NaN is drawn black.
 */
export function grayLevel(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return 0;
  const t = (value - min) / (max - min);
  return Math.round(255 * Math.min(1, Math.max(0, t)));
}

/**
 * Colour of `value` on a diverging map: −limit and below blue (0, 0, 255), 0 white, +limit and
 * above red (255, 0, 0), linear in between; NaN is drawn black.
 */
export function divergingColor(value: number, limit: number): Rgb {
  if (Number.isNaN(value)) return BLACK;
  const t = Math.min(1, Math.abs(value) / limit);
  const fade = Math.round(255 * (1 - t));
  return value < 0 ? [fade, fade, 255] : [255, fade, fade];
}

/** Checks an image argument and returns its height for the given width. */
function imageHeight(fn: string, image: ArrayLike<number>, width: number): number {
  if (!Number.isInteger(width) || width < 1) throw new Error(`${fn}: width must be an integer ≥ 1, got ${width}`);
  if (image.length === 0 || image.length % width !== 0) {
    throw new Error(`${fn}: image has ${image.length} values, not a whole number of rows of width ${width}`);
  }
  return image.length / width;
}

/**
 * Draws a grey-scale image, each value mapped by {@link grayLevel} and each image pixel a
 * scale × scale block.
 * @param canvas target
 * @param x left edge
 * @param y top edge
 * @param image [H, W] values row-major (H = length / W)
 * @param min the value drawn black
 * @param max the value drawn white
 * @param scale magnification (integer ≥ 1)
 * @param width W, the image width (28 for MNIST)
 */
export function drawGray(
  canvas: Canvas,
  x: number,
  y: number,
  image: ArrayLike<number>,
  min: number,
  max: number,
  scale = 1,
  width = 28,
): void {
  checkScale('drawGray', scale);
  if (!(max > min)) throw new Error(`drawGray: need min < max, got min=${min} max=${max}`);
  const height = imageHeight('drawGray', image, width);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const g = grayLevel(image[row * width + col], min, max);
      fillRect(canvas, x + col * scale, y + row * scale, scale, scale, [g, g, g]);
    }
  }
}

/**
 * Draws a signed image (e.g. a perturbation) with {@link divergingColor}: negative blue, zero
 * white, positive red.
 * @param canvas target
 * @param x left edge
 * @param y top edge
 * @param image [H, W] values row-major (H = length / W)
 * @param limit the magnitude drawn fully saturated (> 0)
 * @param scale magnification (integer ≥ 1)
 * @param width W, the image width (28 for MNIST)
 */
export function drawDiverging(
  canvas: Canvas,
  x: number,
  y: number,
  image: ArrayLike<number>,
  limit: number,
  scale = 1,
  width = 28,
): void {
  checkScale('drawDiverging', scale);
  if (!(limit > 0)) throw new Error(`drawDiverging: limit must be > 0, got ${limit}`);
  const height = imageHeight('drawDiverging', image, width);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      fillRect(canvas, x + col * scale, y + row * scale, scale, scale, divergingColor(image[row * width + col], limit));
    }
  }
}
