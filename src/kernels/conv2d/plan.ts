/**
 * The one place that decides how conv2d computes a call: the direct loop nest
 * (kernels/reference/conv2d.ts), im2col + GEMM (gemm-path.ts) or Winograd (winograd-path.ts).
 * The choice depends only on the options and the geometry, never on state of the process, so two
 * threads given the same options take the same path (the worker engine passes the algorithm to its
 * threads in their init message).
 *
 *   'auto' (default)  Winograd where bestWinogradTile (kernels/winograd/cost.ts) finds a tile that
 *                     saves at least a third of the GEMM's multiply-adds, else im2col + GEMM.
 *                     For the LeNet: conv2 (20 → 50 channels, 5×5, 12×12 → 8×8) takes Winograd,
 *                     conv1, conv3 and conv4 take the GEMM (test/layers/conv2d.test.ts).
 *   'winograd'        Winograd (stride 1 and a square kernel, else an error).
 *   'gemm'            im2col + GEMM for every layer.
 *   'direct'          the reference loop nest (slow; for reading and stepping through).
 */
import type { ConvGeometry } from '../../tensor/window.ts';
import { bestWinogradTile } from '../winograd/cost.ts';

/** How conv2d computes (see the file header). */
export type Conv2dAlgorithm = 'auto' | 'winograd' | 'gemm' | 'direct';

/** Every algorithm name, for option parsing and error messages. */
export const CONV2D_ALGORITHMS: readonly Conv2dAlgorithm[] = ['auto', 'winograd', 'gemm', 'direct'];

/** What decides the path: the algorithm (default 'auto') and, for Winograd, the tile m. */
export interface Conv2dPlanOptions {
  algorithm?: Conv2dAlgorithm;
  /** Winograd output tile m (F(m×m, K×K)); default: the one bestWinogradTile picks, else 4. */
  winogradTile?: number;
}

/** The path a call takes, and m for Winograd (0 otherwise). */
export interface Conv2dPlan {
  algorithm: 'winograd' | 'gemm' | 'direct';
  m: number;
}

/** `value` as an algorithm; undefined means 'auto'. Throws naming `from` and the known names otherwise. */
export function parseConv2dAlgorithm(value: string | undefined, from: string): Conv2dAlgorithm {
  if (value === undefined) return 'auto';
  if (!(CONV2D_ALGORITHMS as readonly string[]).includes(value)) {
    throw new RangeError(`conv2d: ${from} must be one of ${CONV2D_ALGORITHMS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Conv2dAlgorithm;
}

/** What a call with these options and this geometry runs: the path, and m for Winograd. */
export function conv2dPlan(g: ConvGeometry, options: Conv2dPlanOptions = {}): Conv2dPlan {
  const algorithm = parseConv2dAlgorithm(options.algorithm, 'options.algorithm');
  if (algorithm === 'gemm' || algorithm === 'direct') return { algorithm, m: 0 };
  const best = bestWinogradTile(g);
  if (algorithm === 'auto') return best > 0 ? { algorithm: 'winograd', m: options.winogradTile ?? best } : { algorithm: 'gemm', m: 0 };
  if (g.stride !== 1 || g.KH !== g.KW) {
    throw new RangeError(`conv2d: the Winograd path needs stride 1 and a square kernel, got stride ${g.stride} and a ${g.KH}×${g.KW} kernel`);
  }
  return { algorithm: 'winograd', m: options.winogradTile ?? (best > 0 ? best : 4) };
}
