/**
 * A picture of the computation graph below a Variable (micrograd's `draw_dot`): one box per
 * Variable with its op name, shape and — for small tensors — its value and gradient, one arrow per
 * edge from an op's input to its output. Two renderings of the same layout:
 *
 *   toDot(root)  Graphviz DOT text (render with `dot -Tsvg`), left to right like the data flow
 *   toSvg(root)  a self-contained SVG, laid out here without Graphviz: column = longest path from
 *                the Variable to the root (the root in the rightmost column, the leaves left),
 *                rows in the order a depth-first walk finishes the nodes (inputs before users)
 *
 * Both are pure functions of the graph and the options (no randomness, no clock, no environment),
 * so the same graph gives the same text byte for byte, in Node and in a browser. Gradients show
 * what `.grad` holds: leaves after backward, and intermediates only where retainGrad was called.
 * Colours: blue for a leaf that requires a gradient (a parameter, an input under attack), grey for
 * a constant, yellow for an op's output; the root has a thick border.
 */
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { topologicalOrder, Variable } from './variable.ts';

export interface GraphPictureOptions {
  /** Names for Variables, e.g. `{ x, w, b, loss }` (shorthand properties); the boxes show them. */
  names?: Record<string, Variable>;
  /** A tensor with at most this many elements shows its values and gradient (default 6). */
  maxValues?: number;
  /** Significant digits of the numbers shown (default 4). */
  digits?: number;
}

/** A box of the picture: its Variable, its text lines, its column (0 = leftmost). */
interface Box {
  id: string;
  variable: Variable;
  lines: string[];
  column: number;
  fill: string;
}

/** An arrow from boxes[from] to boxes[to], the `arg`-th of `args` Variable inputs of `to`. */
interface Arrow {
  from: number;
  to: number;
  arg: number;
  args: number;
}

const FILL = { parameter: '#dbeafe', constant: '#f3f4f6', op: '#fef9c3' } as const;

/** `[a, b, c]` with `digits` significant digits, or null when t has more than `max` elements. */
function formatValues(t: Tensor, max: number, digits: number): string | null {
  if (t.size > max) return null;
  const values = Array.from(t.data, (v) => String(Number(v.toPrecision(digits))));
  return t.size === 1 && t.shape.length === 0 ? values[0] : `[${values.join(', ')}]`;
}

/** The boxes and arrows of the graph below `root`, laid out in columns. */
function layout(root: Variable, options: GraphPictureOptions): { boxes: Box[]; arrows: Arrow[] } {
  if (!(root instanceof Variable)) throw new TypeError(`graph picture: expected a Variable, got ${String(root)}`);
  const { maxValues = 6, digits = 4 } = options;
  const nameOf = new Map<Variable, string>();
  for (const [name, v] of Object.entries(options.names ?? {})) {
    if (!(v instanceof Variable)) throw new TypeError(`graph picture: names.${name} is not a Variable`);
    nameOf.set(v, name);
  }
  const order = topologicalOrder(root, 'all'); // every Variable below root, inputs before users
  const index = new Map(order.map((v, i) => [v, i]));
  const depth = new Array<number>(order.length).fill(0); // longest path to the root
  for (let i = order.length - 1; i >= 0; i--) {
    for (const input of order[i].inputs) if (input !== undefined) depth[index.get(input)!] = Math.max(depth[index.get(input)!], depth[i] + 1);
  }
  const maxDepth = Math.max(...depth);
  const boxes = order.map((v, i): Box => {
    const name = nameOf.get(v);
    const title = v.isLeaf ? (name ?? (v.requiresGrad ? 'leaf' : 'constant')) : name === undefined ? v.op : `${name} = ${v.op}`;
    const lines = [title, `${formatShape(v.shape)} ${v.value.dtype}`];
    const value = formatValues(v.value, maxValues, digits);
    if (value !== null) lines.push(`value ${value}`);
    const grad = v.grad === null ? null : formatValues(v.grad, maxValues, digits);
    if (grad !== null) lines.push(`grad  ${grad}`);
    const fill = !v.isLeaf ? FILL.op : v.requiresGrad ? FILL.parameter : FILL.constant;
    return { id: `n${i}`, variable: v, lines, column: maxDepth - depth[i], fill };
  });
  const arrows: Arrow[] = [];
  order.forEach((v, to) => {
    const inputs = v.inputs.filter((input): input is Variable => input !== undefined);
    inputs.forEach((input, arg) => arrows.push({ from: index.get(input)!, to, arg, args: inputs.length }));
  });
  return { boxes, arrows };
}

/** A DOT string literal's body. */
function dotEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * The graph below `root` as Graphviz DOT text: a box per Variable (name or op, shape and dtype, and
 * for small tensors value and gradient), an edge per input, labelled with the argument's position
 * when an op has several.
 */
export function toDot(root: Variable, options: GraphPictureOptions = {}): string {
  const { boxes, arrows } = layout(root, options);
  const out = ['digraph advgrad {', '  rankdir=LR;', '  node [shape=box, style=filled, fontname="monospace", fontsize=10];'];
  for (const b of boxes) {
    const label = b.lines.map((l) => `${dotEscape(l)}\\l`).join('');
    out.push(`  ${b.id} [label="${label}", fillcolor="${b.fill}"${b.variable === root ? ', penwidth=2' : ''}];`);
  }
  for (const a of arrows) out.push(`  ${boxes[a.from].id} -> ${boxes[a.to].id}${a.args > 1 ? ` [label="${a.arg}"]` : ''};`);
  out.push('}');
  return out.join('\n') + '\n';
}

/** Text for an SVG text node or attribute. */
function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate with at most one decimal, so the text does not depend on float noise. */
function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

// Geometry of the SVG, in pixels: a monospace character is about 0.6 em wide.
const FONT = 12;
const CHAR = 7.2;
const LINE = 16;
const PAD = 8;
const COLUMN_GAP = 56;
const ROW_GAP = 18;
const MARGIN = 12;

/**
 * The graph below `root` as a self-contained SVG document (see the file header for the layout).
 * It needs no Graphviz, no font file and no script: open it in a browser or embed it in Markdown.
 */
export function toSvg(root: Variable, options: GraphPictureOptions = {}): string {
  const { boxes, arrows } = layout(root, options);
  const width = boxes.map((b) => Math.ceil(Math.max(...b.lines.map((l) => l.length)) * CHAR) + 2 * PAD);
  const height = boxes.map((b) => b.lines.length * LINE + 2 * PAD - 4);
  const columns = Math.max(...boxes.map((b) => b.column)) + 1;
  const columnWidth = new Array<number>(columns).fill(0);
  const columnHeight = new Array<number>(columns).fill(-ROW_GAP);
  boxes.forEach((b, i) => {
    columnWidth[b.column] = Math.max(columnWidth[b.column], width[i]);
    columnHeight[b.column] += height[i] + ROW_GAP;
  });
  const totalHeight = Math.max(...columnHeight);
  const columnX = columnWidth.map((_, c) => MARGIN + columnWidth.slice(0, c).reduce((a, w) => a + w + COLUMN_GAP, 0));
  const nextY = columnHeight.map((h) => MARGIN + (totalHeight - h) / 2); // each column centred
  const x = new Array<number>(boxes.length);
  const y = new Array<number>(boxes.length);
  boxes.forEach((b, i) => {
    x[i] = columnX[b.column] + (columnWidth[b.column] - width[i]) / 2;
    y[i] = nextY[b.column];
    nextY[b.column] += height[i] + ROW_GAP;
  });
  const W = columnX[columns - 1] + columnWidth[columns - 1] + MARGIN;
  const H = totalHeight + 2 * MARGIN;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(W)}" height="${px(H)}" viewBox="0 0 ${px(W)} ${px(H)}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="${FONT}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    `<rect width="${px(W)}" height="${px(H)}" fill="#ffffff"/>`,
  ];
  for (const a of arrows) {
    const x1 = x[a.from] + width[a.from];
    const y1 = y[a.from] + height[a.from] / 2;
    const x2 = x[a.to];
    const y2 = y[a.to] + ((a.arg + 1) * height[a.to]) / (a.args + 1);
    const bend = (x2 - x1) / 2;
    out.push(`<path d="M${px(x1)},${px(y1)} C${px(x1 + bend)},${px(y1)} ${px(x2 - bend)},${px(y2)} ${px(x2)},${px(y2)}" fill="none" stroke="#555" marker-end="url(#arrow)"/>`);
    if (a.args > 1) out.push(`<text x="${px(x2 - 12)}" y="${px(y2 - 4)}" font-size="9" fill="#555">${a.arg}</text>`);
  }
  boxes.forEach((b, i) => {
    const stroke = b.variable === root ? ' stroke-width="2"' : '';
    out.push(`<g id="${b.id}">`);
    out.push(`<rect x="${px(x[i])}" y="${px(y[i])}" width="${px(width[i])}" height="${px(height[i])}" rx="4" fill="${b.fill}" stroke="#333"${stroke}/>`);
    b.lines.forEach((line, k) => {
      const bold = k === 0 ? ' font-weight="bold"' : '';
      out.push(`<text x="${px(x[i] + PAD)}" y="${px(y[i] + PAD + (k + 1) * LINE - 4)}"${bold} xml:space="preserve">${xmlEscape(line)}</text>`);
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
