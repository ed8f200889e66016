/**
 * The backward engine's entry points. The engine itself (reverse-mode accumulation in reverse
 * topological order) lives in variable.ts beside the Variable class, so that `loss.backward()` and
 * `backward(loss)` are one code path and the two files import no cycle; read it there.
 */
import type { Variable } from './variable.ts';

export { backward, topologicalOrder } from './variable.ts';

/** Sets `.grad = null` on every Variable given. */
export function zeroGrad(variables: Iterable<Variable>): void {
  for (const v of variables) v.grad = null;
}
