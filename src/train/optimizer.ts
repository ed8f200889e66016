/**
 * What training needs of an optimiser, and the two the library has: the seed's SGD with momentum
 * (train/sgd.ts) and Adam (train/adam.ts).
 */
import type { Variable } from '../autograd/variable.ts';
import { Adam } from './adam.ts';
import { SGD } from './sgd.ts';

export interface Optimizer {
  readonly params: readonly Variable[];
  /** η, read by error messages (a diverged run suggests a lower one). */
  lr: number;
  /**
   * One update from the batch-mean loss's gradients, one array per parameter in params order. The
   * arrays are valid during the call only: training recycles their memory afterwards.
   */
  step(grads?: ReadonlyArray<ArrayLike<number> | undefined>): void;
}

export type OptimizerName = 'sgd' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam'];

/** SGD with the seed's momentum and weight decay, or Adam with PyTorch's defaults, at learning rate lr. */
export function createOptimizer(name: OptimizerName, params: readonly Variable[], lr: number): SGD | Adam {
  if (name === 'sgd') return new SGD(params, { lr });
  if (name === 'adam') return new Adam(params, { lr });
  throw new RangeError(`createOptimizer: optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${String(name)}'`);
}
