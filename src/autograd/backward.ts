/**
 * The backward engine: reverse-mode accumulation of ∂L/∂v over the graph below `root`.
 *
 *   ḡ(root) = seed (ones for a scalar loss)
 *   ḡ(input) += backwardFn(ḡ(node))  for each node in reverse topological order
 *
 * A node used twice receives the sum of both contributions (the multivariate chain rule). Leaves
 * that require a gradient keep it in `.grad`, added to what a previous backward left there (call
 * `zeroGrad` between steps); intermediate nodes' gradients are dropped once used.
 * The topological order comes from an explicit stack, so a 10,000-op chain cannot overflow the
 * call stack.
 */
import { add } from '../tensor/elementwise.ts';
import { formatShape, sameShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { full } from '../tensor/create.ts';
import { Variable } from './variable.ts';

/**
 * Backpropagates from `root`. `seed` is ∂L/∂root (default: ones, for a scalar loss only).
 */
export function backward(root: Variable, seed?: Tensor): void {
  if (!(root instanceof Variable)) throw new TypeError('backward: root must be a Variable');
  if (seed === undefined) {
    if (root.value.size !== 1) {
      throw new RangeError(`backward: root has shape ${formatShape(root.shape)}; pass a seed gradient of that shape, or reduce it to a scalar`);
    }
    seed = full(root.shape, 1, root.value.dtype);
  } else if (!sameShape(seed.shape, root.shape)) {
    throw new RangeError(`backward: seed has shape ${formatShape(seed.shape)} but root has shape ${formatShape(root.shape)}`);
  }
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root.toString()} does not require a gradient (no input requires one, or it was made under noGrad)`);
  }

  const order = topologicalOrder(root);
  const grads = new Map<Variable, Tensor>([[root, seed]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    const dy = grads.get(node);
    if (dy === undefined) continue;
    if (node.backwardFn === null) {
      if (node.requiresGrad) node.grad = node.grad === null ? dy : add(node.grad, dy);
      continue;
    }
    grads.delete(node); // intermediate gradients are not kept
    const inputs = node.inputs;
    const needs = inputs.map((v) => v !== undefined && v.requiresGrad);
    const dxs = node.backwardFn(dy, needs);
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k];
      if (input === undefined || !needs[k]) continue;
      const dx = dxs[k];
      if (dx === null || dx === undefined) {
        throw new Error(`backward: op '${node.op}' returned no gradient for its input ${k}, which requires one`);
      }
      if (!sameShape(dx.shape, input.shape) || dx.dtype !== input.value.dtype) {
        throw new Error(
          `backward: op '${node.op}' returned a gradient of shape ${formatShape(dx.shape)} (${dx.dtype}) for input ${k} of shape ${formatShape(input.shape)} (${input.value.dtype})`,
        );
      }
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? dx : add(previous, dx));
    }
  }
}

/** Nodes reachable from `root` through inputs that require gradients, inputs before users. */
export function topologicalOrder(root: Variable): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>([root]);
  // Iterative post-order DFS: each frame is a node and the index of the next input to visit.
  const stack: Array<{ node: Variable; next: number }> = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.node.inputs;
    if (frame.next < inputs.length) {
      const input = inputs[frame.next++];
      if (input !== undefined && input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push({ node: input, next: 0 });
      }
    } else {
      order.push(frame.node);
      stack.pop();
    }
  }
  return order;
}

/** Sets `.grad = null` on every Variable given. */
export function zeroGrad(variables: Iterable<Variable>): void {
  for (const v of variables) v.grad = null;
}
