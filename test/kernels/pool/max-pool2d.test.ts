/**
 * The fast max-pool loops (kernels/pool/max-pool2d.ts) against the reference loop nest
 * (kernels/reference/max-pool2d.ts): the same y and the same argmax, bit for bit, including on
 * ties (inputs drawn from a few values) and NaN, whose argmax depends on the visiting order.
 */
import { describe, expect, test } from 'vitest';
import { maxPool2x2, maxPoolNoPad } from '../../../src/kernels/pool/max-pool2d.ts';
import { maxPool2dReference } from '../../../src/kernels/reference/max-pool2d.ts';
import { Rng } from '../../../src/tensor/rng.ts';

/** NC planes of H×W with values from {−1, 0, 1, NaN}: many ties, some NaN. */
function planes(NC: number, H: number, W: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: NC * H * W }, () => [-1, 0, 1, Number.NaN][rng.int(4)]);
}

function reference(x: Float64Array, NC: number, H: number, W: number, K: number, S: number): { y: Float64Array; argmax: Int32Array } {
  const OH = Math.floor((H - K) / S) + 1;
  const OW = Math.floor((W - K) / S) + 1;
  const y = new Float64Array(NC * OH * OW);
  const argmax = new Int32Array(NC * OH * OW);
  maxPool2dReference(x, NC, { H, W, KH: K, KW: K, stride: S, pad: 0, OH, OW }, y, argmax);
  return { y, argmax };
}

describe('fast max-pool loops give the reference bits', () => {
  test.each([[6, 8, 8], [3, 7, 9], [1, 2, 2]])('maxPool2x2 on %i planes of %i×%i', (NC, H, W) => {
    const x = planes(NC, H, W, NC * 100 + H);
    const want = reference(x, NC, H, W, 2, 2);
    const y = new Float64Array(want.y.length);
    const argmax = new Int32Array(want.argmax.length);
    maxPool2x2(x, NC, H, W, Math.floor(H / 2), Math.floor(W / 2), y, argmax);
    expect(Array.from(argmax)).toEqual(Array.from(want.argmax));
    expect(Array.from(y)).toEqual(Array.from(want.y)); // NaN equals NaN here
  });

  test.each([[3, 1], [3, 2], [2, 1], [4, 3]])('maxPoolNoPad, window %i, stride %i', (K, S) => {
    const [NC, H, W] = [4, 10, 9];
    const x = planes(NC, H, W, K * 10 + S);
    const want = reference(x, NC, H, W, K, S);
    const y = new Float64Array(want.y.length);
    const argmax = new Int32Array(want.argmax.length);
    maxPoolNoPad(x, NC, H, W, K, K, S, Math.floor((H - K) / S) + 1, Math.floor((W - K) / S) + 1, y, argmax);
    expect(Array.from(argmax)).toEqual(Array.from(want.argmax));
    expect(Array.from(y)).toEqual(Array.from(want.y));
  });
});
