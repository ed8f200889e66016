/**
 * The graph picture: the DOT and SVG of a known tiny graph hold exactly its nodes (op names,
 * shapes, values, gradients) and edges; the SVG is well-formed XML and the same bytes every time.
 */
import { describe, expect, test } from 'vitest';
import { add, mul } from '../../src/autograd/arithmetic.ts';
import { toDot, toSvg } from '../../src/autograd/graph-picture.ts';
import { sum } from '../../src/autograd/reduce.ts';
import { constant, parameter, type Variable } from '../../src/autograd/variable.ts';
import { relu } from '../../src/layers/relu.ts';
import { tensor, zeros } from '../../src/tensor/create.ts';

/** loss = Σ relu(w ⊙ x + b), after backward with h's gradient kept. */
function neuron(): { x: Variable; w: Variable; b: Variable; h: Variable; loss: Variable } {
  const x = constant(tensor([1, -2], [2], 'float64'));
  const w = parameter(tensor([0.5, 0.25], [2], 'float64'));
  const b = parameter(tensor([0.1, -0.2], [2], 'float64'));
  const h = relu(add(mul(w, x), b)).retainGrad();
  const loss = sum(h);
  loss.backward();
  return { x, w, b, h, loss };
}

/** The tag names of an XML text in order, checked to nest properly; throws where they do not. */
function checkWellFormed(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const body = xml.replace(/<text[^>]*>[^<]*<\/text>/g, '<text/>'); // text content may hold any escaped character
  expect(body).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
  for (const m of body.matchAll(/<(\/?)([a-zA-Z]+)([^<>]*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    names.push(name);
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes ${stack.at(-1)}`);
    } else if (!selfClose) stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  expect(body.replace(/<[^<>]*>/g, '').trim()).toBe(''); // nothing outside the tags
  return names;
}

describe('toDot', () => {
  test('a node per Variable with op, shape, value and gradient; an edge per input', () => {
    const { x, w, b, h, loss } = neuron();
    const dot = toDot(loss, { names: { x, w, b, h, loss } });
    const nodes = [...dot.matchAll(/^ {2}(n\d+) \[label="([^"]*)"/gm)].map((m) => [m[1], m[2].split('\\l').filter((l) => l !== '')]);
    expect(nodes).toEqual([
      ['n0', ['w', '[2] float64', 'value [0.5, 0.25]', 'grad  [1, 0]']],
      ['n1', ['x', '[2] float64', 'value [1, -2]']],
      ['n2', ['mul', '[2] float64', 'value [0.5, -0.5]']],
      ['n3', ['b', '[2] float64', 'value [0.1, -0.2]', 'grad  [1, 0]']],
      ['n4', ['add', '[2] float64', 'value [0.6, -0.7]']],
      ['n5', ['h = relu', '[2] float64', 'value [0.6, 0]', 'grad  [1, 1]']],
      ['n6', ['loss = sum', '[] float64', 'value 0.6']],
    ]);
    const edges = [...dot.matchAll(/^ {2}(n\d+) -> (n\d+)(?: \[label="(\d)"\])?;$/gm)].map((m) => m.slice(1).filter((s) => s !== undefined).join(' '));
    expect(edges).toEqual(['n0 n2 0', 'n1 n2 1', 'n2 n4 0', 'n3 n4 1', 'n4 n5', 'n5 n6']);
  });

  test('an intermediate without retainGrad shows no gradient; a large tensor shows no values', () => {
    const big = parameter(zeros([3, 4], 'float64'));
    const s = sum(mul(big, big));
    s.backward();
    const dot = toDot(s, { maxValues: 6 });
    expect(dot).toContain('n0 [label="leaf\\l[3,4] float64\\l"');
    expect(dot).toContain('n1 [label="mul\\l[3,4] float64\\l"');
    expect(dot).toContain('n2 [label="sum\\l[] float64\\lvalue 0\\l"');
  });
});

describe('toSvg', () => {
  test('is well-formed, holds every box and arrow, and is the same bytes for the same graph', () => {
    const a = neuron();
    const svg = toSvg(a.loss, { names: { x: a.x, w: a.w, b: a.b, h: a.h, loss: a.loss } });
    const names = checkWellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'g')).toHaveLength(7 * 2); // open and close, one per Variable
    expect(svg.match(/marker-end="url\(#arrow\)"/g)).toHaveLength(6);
    for (const line of ['h = relu', 'grad  [1, 1]', 'loss = sum', 'value [0.5, -0.5]']) expect(svg).toContain(`>${line}</text>`);
    const again = neuron();
    expect(toSvg(again.loss, { names: { x: again.x, w: again.w, b: again.b, h: again.h, loss: again.loss } })).toBe(svg);
  });

  test('the output is the rightmost box and a leaf the leftmost', () => {
    const { loss, x } = neuron();
    const svg = toSvg(loss, { names: { x } });
    const rectX = (id: string): number => Number(new RegExp(`<g id="${id}">\\n<rect x="([\\d.]+)"`).exec(svg)![1]);
    const xs = [0, 1, 2, 3, 4, 5, 6].map((i) => rectX(`n${i}`));
    expect(Math.max(...xs)).toBe(xs[6]);
    expect(Math.min(...xs)).toBe(xs[0]);
    expect(xs[5]).toBeLessThan(xs[6]);
  });

  test('escapes text, and the checker catches a broken document (it can fail)', () => {
    const v = parameter(tensor([1], [1], 'float64'));
    const svg = toSvg(sum(v), { names: { 'a<b&c': v } });
    expect(svg).toContain('>a&lt;b&amp;c</text>');
    checkWellFormed(svg);
    expect(() => checkWellFormed(svg.replace('</g>', ''))).toThrow();
  });

  test('refuses what is not a Variable', () => {
    expect(() => toSvg(42 as never)).toThrow(/graph picture: expected a Variable, got 42/);
  });
});
