/**
 * Variable: a node of the computation graph, and the backward engine that walks the graph.
 * A Variable holds a value (a Tensor), the gradient of the last backward pass with respect to it,
 * and — if an op made it — the op's name, its inputs and its backward closure.
 *
 * An op is declared with `defineOp(name, fn)`: `fn` computes the value from its arguments and
 * returns the vector–Jacobian product as a closure,
 *
 *     fn(...args) = { value: y, backward: (dy, needs) => [dx₀, dx₁, …] }
 *
 * where dxᵢ = (∂y/∂argᵢ)ᵀ · dy for each argument that is a Variable (entries for other arguments,
 * such as options objects, are ignored) and `needs[i]` says whether argument i wants a gradient,
 * so a backward can skip work nobody asked for (FGSM needs ∂L/∂x, not ∂L/∂θ).
 *
 * The engine (`backward(root, seed)`, also `root.backward(seed)`): reverse-mode accumulation of
 * ∂L/∂v over the graph below `root`,
 *
 *   ḡ(root) = seed (1 for a scalar loss)
 *   ḡ(input) += backwardFn(ḡ(node))  for each node in reverse topological order
 *
 * A node used twice receives the sum of both contributions (the multivariate chain rule). Leaves
 * that require a gradient keep it in `.grad`, added to what a previous backward left there (call
 * `zeroGrad` between steps); intermediate nodes' gradients are dropped once used, unless the node
 * asked to keep it (`retainGrad`). The topological order comes from an explicit stack, so a
 * 10,000-op chain cannot overflow the call stack. The engine lives here, beside the class, so that
 * the `backward` method and the `backward` function are one code path with no import cycle.
 */
import { add } from '../tensor/elementwise.ts';
import { full } from '../tensor/create.ts';
import { formatShape, sameShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** The vector–Jacobian product of an op: gradients for its arguments, in argument order. */
export type BackwardFn = (dy: Tensor, needs: readonly boolean[]) => ReadonlyArray<Tensor | null | undefined>;

export interface OpResult {
  value: Tensor;
  backward: BackwardFn;
}

/**
 * Called with ∂L/∂v once backward has summed every contribution to it, before it reaches `.grad`
 * or flows further down; a returned Tensor (same shape and dtype) replaces the gradient.
 */
export type GradHook = (grad: Tensor) => Tensor | void;

/** What `registerHook` returns: `remove()` unregisters the hook. */
export interface HookHandle {
  remove(): void;
}

export class Variable {
  value: Tensor;
  /** ∂L/∂this after backward; accumulates over backward calls until `zeroGrad`. Null before. */
  grad: Tensor | null = null;
  /** Leaves: whether backward computes a gradient for this. Op outputs: whether any input needs one. */
  requiresGrad: boolean;
  /** The op that made this Variable (the name given to defineOp), or 'leaf'. */
  readonly op: string;
  /** The op's arguments (Variables at their positions, anything else as undefined). */
  readonly inputs: ReadonlyArray<Variable | undefined>;
  readonly backwardFn: BackwardFn | null;
  /** Whether backward stores this intermediate's gradient in `.grad` (see retainGrad). */
  retainsGrad = false;
  /** Hooks run on this node's gradient during backward (see registerHook); null when none. */
  hooks: GradHook[] | null = null;

  constructor(value: Tensor, options: { requiresGrad?: boolean; op?: string; inputs?: ReadonlyArray<Variable | undefined>; backwardFn?: BackwardFn | null } = {}) {
    this.value = value;
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = options.op ?? 'leaf';
    this.inputs = options.inputs ?? [];
    this.backwardFn = options.backwardFn ?? null;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get isLeaf(): boolean {
    return this.backwardFn === null;
  }

  /**
   * Backpropagates from this Variable, as `backward(this, seed)` (PyTorch's `loss.backward()`).
   * A size-1 output gets the seed gradient 1; any other shape needs `seed` (∂L/∂this, same shape).
   */
  backward(seed?: Tensor): void {
    backward(this, seed);
  }

  /**
   * Keeps ∂L/∂this in `.grad` after the next backward passes, for an intermediate node (PyTorch's
   * `retain_grad`); it accumulates over backward calls like a leaf's. A no-op on a leaf (leaves
   * that require a gradient keep it anyway). Throws if no gradient flows through this node.
   * Off by default, so that training holds no more memory than the graph needs.
   */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error(`retainGrad: ${this.toString()} does not require a gradient, so backward never reaches it`);
    if (!this.isLeaf) this.retainsGrad = true;
    return this;
  }

  /**
   * Calls `hook(∂L/∂this)` during every backward pass that reaches this node, once the gradient is
   * complete (PyTorch's `register_hook`); a returned Tensor replaces the gradient from there on.
   */
  registerHook(hook: GradHook): HookHandle {
    if (!this.requiresGrad) throw new Error(`registerHook: ${this.toString()} does not require a gradient, so backward never reaches it`);
    (this.hooks ??= []).push(hook);
    return {
      remove: () => {
        const i = this.hooks?.indexOf(hook) ?? -1;
        if (i >= 0) this.hooks!.splice(i, 1);
      },
    };
  }

  /** Forgets the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** A leaf with the same value and no history: gradients stop here. */
  detach(): Variable {
    return new Variable(this.value, { requiresGrad: false });
  }

  toString(): string {
    return `Variable(${this.op}, ${this.value.toString()}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** A leaf Variable around `value`. */
export function variable(value: Tensor, options: { requiresGrad?: boolean } = {}): Variable {
  return new Variable(value, { requiresGrad: options.requiresGrad ?? false });
}

/** A leaf that needs its gradient (a parameter, or an input whose ∂L/∂x we want). */
export function parameter(value: Tensor): Variable {
  return new Variable(value, { requiresGrad: true });
}

/** A leaf that needs no gradient (data, labels' one-hot, constants). */
export function constant(value: Tensor): Variable {
  return new Variable(value, { requiresGrad: false });
}

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the graph: ops return plain leaves with no backward, so nothing is
 * kept alive for a backward pass that will not come (evaluation, attacks' forward-only checks).
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Declares a differentiable op. The returned function calls `fn`, then links the result into the
 * graph when grad mode is on and some Variable argument requires a gradient. The result's `op` is
 * `name` either way (what error messages and the graph picture show).
 */
export function defineOp<Args extends unknown[]>(name: string, fn: (...args: Args) => OpResult): (...args: Args) => Variable {
  const op = (...args: Args): Variable => {
    const { value, backward } = fn(...args);
    if (!gradEnabled) return new Variable(value, { op: name });
    let anyRequires = false;
    const inputs = new Array<Variable | undefined>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof Variable) {
        inputs[i] = a;
        if (a.requiresGrad) anyRequires = true;
      }
    }
    if (!anyRequires) return new Variable(value, { op: name });
    return new Variable(value, { requiresGrad: true, op: name, inputs, backwardFn: backward });
  };
  Object.defineProperty(op, 'name', { value: name });
  return op;
}

/**
 * Backpropagates from `root` (the engine; see the file header). `seed` is ∂L/∂root: by default 1,
 * which only a size-1 root may omit. Fills `.grad` of the leaves that require a gradient and of
 * the nodes that asked for it (retainGrad), running hooks on the way.
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
    let dy = grads.get(node); // complete: every user of node comes later in `order`
    if (dy === undefined) continue;
    if (node.hooks !== null) dy = runHooks(node, dy);
    if (node.backwardFn === null) {
      if (node.requiresGrad) node.grad = node.grad === null ? dy : add(node.grad, dy);
      continue;
    }
    grads.delete(node); // intermediate gradients are not kept…
    if (node.retainsGrad) node.grad = node.grad === null ? dy : add(node.grad, dy); // …unless asked
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

/** dy after each of node's hooks, in registration order; a replacement must keep shape and dtype. */
function runHooks(node: Variable, dy: Tensor): Tensor {
  for (const hook of [...node.hooks!]) {
    const replaced = hook(dy) as Tensor | undefined;
    if (replaced === undefined || replaced === null) continue;
    if (!sameShape(replaced.shape, dy.shape) || replaced.dtype !== dy.dtype) {
      throw new Error(`backward: a hook on ${node.toString()} returned a gradient of shape ${formatShape(replaced.shape)} (${replaced.dtype}); expected ${formatShape(dy.shape)} (${dy.dtype})`);
    }
    dy = replaced;
  }
  return dy;
}

/**
 * Nodes reachable from `root` through inputs that require gradients (what backward visits), or
 * through every input with `which = 'all'` (what the graph picture draws); inputs before users.
 */
export function topologicalOrder(root: Variable, which: 'requiresGrad' | 'all' = 'requiresGrad'): Variable[] {
  const all = which === 'all';
  const order: Variable[] = [];
  const visited = new Set<Variable>([root]);
  // Iterative post-order DFS: each frame is a node and the index of the next input to visit.
  const stack: Array<{ node: Variable; next: number }> = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.node.inputs;
    if (frame.next < inputs.length) {
      const input = inputs[frame.next++];
      if (input !== undefined && (all || input.requiresGrad) && !visited.has(input)) {
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
