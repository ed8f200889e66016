/**
 * Chapter 2, autograd by hand: micrograd's neuron o = relu(x1·w1 + x2·w2 + b), every node's value
 * and gradient, the chain rule by hand beside the engine's, and a picture of the graph
 * (written to docs/learn/02-graph.svg).
 * Run: npx tsx examples/learn/02-autograd.ts
 */
import { writeFileSync } from 'node:fs';
import { add, mul, parameter, relu, tensor, toDot, toSvg, type Variable } from '../../src/index.ts';

/** A one-element float64 leaf that wants its gradient. */
const leaf = (v: number): Variable => parameter(tensor([v], [1], 'float64'));
const num = (v: number): string => String(Number(v.toPrecision(6)));
const valueOf = (v: Variable): string => num(v.value.data[0]);
const gradOf = (v: Variable): string => (v.grad === null ? 'null' : num(v.grad.data[0]));

// The forward pass builds the graph: each op records its inputs and its backward closure.
const x1 = leaf(2);
const x2 = leaf(0);
const w1 = leaf(-3);
const w2 = leaf(1);
const b = leaf(6.8813735870195432);
const x1w1 = mul(x1, w1);
const x2w2 = mul(x2, w2);
const s = add(x1w1, x2w2);
const n = add(s, b);
const o = relu(n);

// Ask for the intermediates' gradients; by default backward drops them to save memory.
for (const v of [x1w1, x2w2, s, n, o]) v.retainGrad();
const hook = n.registerHook((g) => console.log(`hook on n: ∂o/∂n arrived, ${num(g.data[0])}`));

console.log('forward');
const nodes: Array<[string, Variable]> = [['x1', x1], ['w1', w1], ['x2', x2], ['w2', w2], ['b', b], ['x1w1', x1w1], ['x2w2', x2w2], ['s', s], ['n', n], ['o', o]];
for (const [name, v] of nodes) console.log(`  ${name.padEnd(5)} = ${v.op.padEnd(4)} ${valueOf(v)}`);

console.log('backward: o.backward()');
o.backward();
for (const [name, v] of [...nodes].reverse()) console.log(`  ∂o/∂${name.padEnd(5)} = ${gradOf(v)}`);
hook.remove();

// The same numbers by hand, from the output down (the chain rule, one local derivative at a time).
const dn = n.value.data[0] > 0 ? 1 : 0; // relu'(n)
const ds = dn * 1; // n = s + b
const dx1w1 = ds * 1; // s = x1w1 + x2w2
console.log('by hand');
console.log(`  ∂o/∂n  = 1[n > 0] = ${dn}`);
console.log(`  ∂o/∂b  = ∂o/∂n · 1 = ${dn}`);
console.log(`  ∂o/∂w1 = ∂o/∂x1w1 · x1 = ${dx1w1} · ${valueOf(x1)} = ${num(dx1w1 * x1.value.data[0])}`);
console.log(`  ∂o/∂x1 = ∂o/∂x1w1 · w1 = ${dx1w1} · ${valueOf(w1)} = ${num(dx1w1 * w1.value.data[0])}`);
console.log(`  ∂o/∂w2 = ∂o/∂x2w2 · x2 = ${ds} · ${valueOf(x2)} = ${num(ds * x2.value.data[0])}`);

// Leaves accumulate: a second backward adds to .grad (zero them between steps).
o.backward();
console.log(`after a second o.backward(): ∂o/∂w1 = ${gradOf(w1)} (accumulated); w1.zeroGrad() resets it`);
w1.zeroGrad();
console.log(`w1.grad after zeroGrad: ${gradOf(w1)}`);
for (const [, v] of nodes) v.zeroGrad();
o.backward();

// The picture: SVG for the page, DOT for Graphviz.
const names = { x1, w1, x2, w2, b, x1w1, x2w2, s, n, o };
const svg = toSvg(o, { names });
writeFileSync(new URL('../../docs/learn/02-graph.svg', import.meta.url), svg);
console.log(`wrote docs/learn/02-graph.svg (${svg.split('\n').length - 1} lines)`);
console.log('the same graph in Graphviz DOT:');
process.stdout.write(toDot(o, { names }));
