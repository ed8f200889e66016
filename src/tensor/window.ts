/**
 * Sliding-window geometry shared by convolution and pooling, computed once per call and used by
 * forward, backward, tests and benchmarks alike.
 *
 *   x: [N, C, H, W], window KH×KW, stride S, zero padding P on every side
 *   OH = ⌊(H + 2P − KH) / S⌋ + 1,   OW = ⌊(W + 2P − KW) / S⌋ + 1
 *   output (oh, ow) reads input rows ih = oh·S + kh − P and columns iw = ow·S + kw − P
 *
 * The floor drops the last columns/rows when the stride does not divide evenly, as PyTorch and
 * MatConvNet do; windows never hang over the padded border.
 */
import { formatShape, type Shape } from './shape.ts';

export interface WindowGeometry {
  N: number; C: number; H: number; W: number;
  KH: number; KW: number;
  stride: number; pad: number;
  OH: number; OW: number;
}

/**
 * Validates a sliding window over x and returns its geometry.
 * @param op the caller's name, for error messages
 * @param xShape [N, C, H, W]
 */
export function windowGeometry(op: string, xShape: Shape, KH: number, KW: number, stride: number, pad: number): WindowGeometry {
  if (xShape.length !== 4) throw new RangeError(`${op}: x must be 4-D [N, C, H, W], got shape ${formatShape(xShape)}`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`${op}: stride must be a positive integer, got ${String(stride)}`);
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`${op}: pad must be a non-negative integer, got ${String(pad)}`);
  if (!Number.isInteger(KH) || !Number.isInteger(KW) || KH < 1 || KW < 1) {
    throw new RangeError(`${op}: window must be at least 1×1, got ${KH}×${KW}`);
  }
  const [N, C, H, W] = xShape;
  if (KH > H + 2 * pad || KW > W + 2 * pad) {
    throw new RangeError(
      `${op}: the ${KH}×${KW} window is larger than the padded input ${H + 2 * pad}×${W + 2 * pad} (x ${formatShape(xShape)}, pad ${pad})`,
    );
  }
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  return { N, C, H, W, KH, KW, stride, pad, OH, OW };
}

/** A convolution's geometry: its sliding window and its OC output channels. */
export type ConvGeometry = WindowGeometry & { OC: number };
