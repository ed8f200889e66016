/**
 * `examples.png`: a grid of adversarial examples, one row per model, three columns:
 *
 *   clean x  |  perturbation η (FGSM: ε·sign(∇ₓJ); PGD: a point of the ε-ball)  |  adversarial x_adv = x + η
 *
 * Each 28×28 image is magnified `scale` times. Grey images use the fixed range 0..255 (black to
 * white, values outside clamp: unclipped FGSM leaves the range), so the clean and adversarial
 * images are directly comparable; the perturbation uses a diverging map (blue negative, white zero,
 * red positive) saturated at its largest magnitude, which is ε in grey levels for FGSM. Under the
 * clean and adversarial images: the predicted label and confidence, green when it equals the true
 * label and red when not. The row title line carries the true label.
 *
 * Geometry (pixels; S = image scale, T = text scale, L = LINE_HEIGHT·T):
 *
 *   MARGIN ┬ header, 2 lines (column names)                   2L
 *          ├ gap, a one-pixel rule, 2 gaps                     3·GAP + 1
 *          ├ per row: title line                               L
 *          │          gap                                      GAP
 *          │          image (with a 1-px frame around it)     28·S
 *          │          gap, label line                          GAP + L
 *          │          gap between rows                         ROW_GAP
 *          └ legend line (text scale 1), MARGIN
 *   columns: MARGIN, then 3 columns of width COL_W separated by COL_GAP, images centred in them.
 */
import {
  type Canvas,
  type Rgb,
  BLACK,
  LINE_HEIGHT,
  WHITE,
  createCanvas,
  drawDiverging,
  drawGray,
  drawText,
  fillRect,
  strokeRect,
  textWidth,
} from './font.ts';

/** One image of the grid with the model's prediction for it. */
export interface ExampleCell {
  /** 784 grey levels 0..255 (raw pixel scale, NOT mean-subtracted), [28, 28] row-major. */
  image: ArrayLike<number>;
  /** The prediction as shown, e.g. "7 (0.99)". */
  label: string;
  /** The predicted class; when omitted it is read from the leading integer of `label`. */
  predicted?: number;
}

/** One row: a model's clean image, an attack's perturbation and the adversarial image. */
export interface ExampleRow {
  /** e.g. "standard model". */
  title: string;
  clean: ExampleCell;
  /** 784 values, η = x_adv − x in grey levels, [28, 28] row-major. */
  perturbation: ArrayLike<number>;
  adversarial: ExampleCell;
  /** The true class of the image. */
  trueLabel: number;
}

/** Options of {@link renderExamples}. */
export interface ExamplesOptions {
  /** Magnification of the 28×28 images (integer ≥ 1); 4 by default. */
  scale?: number;
  /** Magnification of the 5×7 font (integer ≥ 1); 2 by default. */
  textScale?: number;
}

/** Where {@link renderExamples} puts things, for callers and tests. */
export interface ExamplesLayout {
  width: number;
  height: number;
  scale: number;
  textScale: number;
  /** Image side in canvas pixels, 28·scale. */
  imageSize: number;
  /** Left edge of the image in each column: clean, perturbation, adversarial. */
  imageX: [number, number, number];
  /** Left edge of each column (header and label text are centred in it). */
  columnX: [number, number, number];
  columnWidth: number;
  /** The horizontal rule under the header. */
  ruleY: number;
  /** Per row: top of the title line, of the images, of the label line. */
  rows: Array<{ titleY: number; imageY: number; labelY: number }>;
  /** Top of the legend line. */
  legendY: number;
}

/** The image side of MNIST. */
const SIDE = 28;
const MARGIN = 16;
const GAP = 6;
const ROW_GAP = 18;
const COL_GAP = 16;

const GREEN: Rgb = [0, 140, 0];
const RED: Rgb = [200, 0, 0];
const FRAME: Rgb = [160, 160, 160];
const MUTED: Rgb = [90, 90, 90];

/** The column names, two lines each. */
const HEADER: ReadonlyArray<readonly [string, string]> = [
  ['clean', 'x'],
  ['perturbation', 'η, |η| ≤ ε'], // FGSM's η = ε·sign(∇x J); PGD's is any point of the ε-ball
  ['adversarial', 'x + η'],
];

const LEGEND = 'grey: 0..255, clamped.  perturbation: blue < 0, white 0, red > 0.';

function cellText(cell: ExampleCell): string {
  return `pred ${cell.label}`;
}

function perturbationLimit(perturbation: ArrayLike<number>): number {
  let limit = 0;
  for (let i = 0; i < perturbation.length; i++) {
    const v = Math.abs(perturbation[i]);
    if (v > limit) limit = v;
  }
  return limit;
}

function perturbationText(perturbation: ArrayLike<number>): string {
  return `±${perturbationLimit(perturbation).toFixed(2)}`;
}

/** The predicted class of a cell: `predicted`, else the leading integer of the label, else null. */
function predictedClass(cell: ExampleCell): number | null {
  if (cell.predicted !== undefined) return cell.predicted;
  const match = /^\s*(\d+)/.exec(cell.label);
  return match ? Number(match[1]) : null;
}

function checkRows(rows: ExampleRow[]): void {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('renderExamples: need at least one row');
  rows.forEach((row, r) => {
    const check = (name: string, image: ArrayLike<number> | undefined): void => {
      if (!image || image.length !== SIDE * SIDE) {
        throw new Error(
          `renderExamples: row ${r} ("${row.title}") ${name} must have ${SIDE * SIDE} values, got ${image?.length}`,
        );
      }
    };
    check('clean.image', row.clean?.image);
    check('perturbation', row.perturbation);
    check('adversarial.image', row.adversarial?.image);
  });
}

function checkScaleOption(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`renderExamples: ${name} must be an integer ≥ 1, got ${value}`);
}

/**
 * Computes the geometry of the grid for `rows` (the texts decide the column width).
 * @param rows the examples, one per row
 * @param options image and text magnification
 */
export function examplesLayout(rows: ExampleRow[], options: ExamplesOptions = {}): ExamplesLayout {
  const scale = options.scale ?? 4;
  const textScale = options.textScale ?? 2;
  checkScaleOption('scale', scale);
  checkScaleOption('textScale', textScale);
  const imageSize = SIDE * scale;
  const line = LINE_HEIGHT * textScale;

  const texts = HEADER.flat();
  for (const row of rows) texts.push(cellText(row.clean), cellText(row.adversarial), perturbationText(row.perturbation));
  const columnWidth = Math.max(imageSize + 2, ...texts.map((t) => textWidth(t, textScale))) + 8;

  const columnX: [number, number, number] = [0, 1, 2].map((c) => MARGIN + c * (columnWidth + COL_GAP)) as [
    number,
    number,
    number,
  ];
  const imageX = columnX.map((x) => x + Math.floor((columnWidth - imageSize) / 2)) as [number, number, number];
  const titleWidth = Math.max(0, ...rows.map((row) => textWidth(rowTitle(row), textScale)));
  const width = Math.max(2 * MARGIN + 3 * columnWidth + 2 * COL_GAP, 2 * MARGIN + titleWidth, 2 * MARGIN + textWidth(LEGEND));

  const ruleY = MARGIN + 2 * line + GAP;
  let y = ruleY + 1 + 2 * GAP;
  const rowBoxes = rows.map(() => {
    const titleY = y;
    const imageY = titleY + line + GAP;
    const labelY = imageY + imageSize + GAP;
    y = labelY + line + ROW_GAP;
    return { titleY, imageY, labelY };
  });
  const legendY = y - ROW_GAP + GAP;
  const height = legendY + LINE_HEIGHT + MARGIN;
  return { width, height, scale, textScale, imageSize, imageX, columnX, columnWidth, ruleY, rows: rowBoxes, legendY };
}

function rowTitle(row: ExampleRow): string {
  return `${row.title} - true label ${row.trueLabel}`;
}

function drawCentred(canvas: Canvas, columnX: number, columnWidth: number, y: number, text: string, color: Rgb, scale: number): void {
  drawText(canvas, columnX + Math.floor((columnWidth - textWidth(text, scale)) / 2), y, text, color, scale);
}

/**
 * Draws the grid of examples.
 * @param rows one row per model (e.g. standard, then adversarially trained)
 * @param options image and text magnification
 * @returns the canvas; its size is {@link examplesLayout}'s
 */
export function renderExamples(rows: ExampleRow[], options: ExamplesOptions = {}): Canvas {
  checkRows(rows);
  const layout = examplesLayout(rows, options);
  const { textScale, imageSize, imageX, columnX, columnWidth, scale } = layout;
  const line = LINE_HEIGHT * textScale;
  const canvas = createCanvas(layout.width, layout.height, WHITE);

  HEADER.forEach(([first, second], c) => {
    drawCentred(canvas, columnX[c], columnWidth, MARGIN, first, BLACK, textScale);
    drawCentred(canvas, columnX[c], columnWidth, MARGIN + line, second, MUTED, textScale);
  });

  fillRect(canvas, MARGIN, layout.ruleY, layout.width - 2 * MARGIN, 1, FRAME);

  rows.forEach((row, r) => {
    const { titleY, imageY, labelY } = layout.rows[r];
    drawText(canvas, MARGIN, titleY, rowTitle(row), BLACK, textScale);

    drawGray(canvas, imageX[0], imageY, row.clean.image, 0, 255, scale);
    const limit = perturbationLimit(row.perturbation);
    drawDiverging(canvas, imageX[1], imageY, row.perturbation, limit > 0 ? limit : 1, scale);
    drawGray(canvas, imageX[2], imageY, row.adversarial.image, 0, 255, scale);
    for (const x of imageX) strokeRect(canvas, x - 1, imageY - 1, imageSize + 2, imageSize + 2, FRAME);

    const cells: Array<[number, ExampleCell]> = [
      [0, row.clean],
      [2, row.adversarial],
    ];
    for (const [c, cell] of cells) {
      const predicted = predictedClass(cell);
      const color = predicted === null ? BLACK : predicted === row.trueLabel ? GREEN : RED;
      drawCentred(canvas, columnX[c], columnWidth, labelY, cellText(cell), color, textScale);
    }
    drawCentred(canvas, columnX[1], columnWidth, labelY, perturbationText(row.perturbation), MUTED, textScale);
  });

  drawText(canvas, MARGIN, layout.legendY, LEGEND, MUTED, 1);
  return canvas;
}
