/**
 * Variable: a node of the computation graph. It holds a value (a Tensor), the gradient of the last
 * backward pass with respect to it, and — if an op made it — the op's inputs and backward closure.
 *
 * An op is declared with `defineOp(name, fn)`: `fn` computes the value from its arguments and
 * returns the vector–Jacobian product as a closure,
 *
 *     fn(...args) = { value: y, backward: (dy, needs) => [dx₀, dx₁, …] }
 *
 * where dxᵢ = (∂y/∂argᵢ)ᵀ · dy for each argument that is a Variable (entries for other arguments,
 * such as options objects, are ignored) and `needs[i]` says whether argument i wants a gradient,
 * so a backward can skip work nobody asked for (FGSM needs ∂L/∂x, not ∂L/∂θ).
 */
import type { Tensor } from '../tensor/tensor.ts';

/** The vector–Jacobian product of an op: gradients for its arguments, in argument order. */
export type BackwardFn = (dy: Tensor, needs: readonly boolean[]) => ReadonlyArray<Tensor | null | undefined>;

export interface OpResult {
  value: Tensor;
  backward: BackwardFn;
}

export class Variable {
  value: Tensor;
  /** ∂L/∂this after backward; accumulates over backward calls until `zeroGrad`. Null before. */
  grad: Tensor | null = null;
  /** Leaves: whether backward computes a gradient for this. Op outputs: whether any input needs one. */
  requiresGrad: boolean;
  /** The op that made this Variable, or 'leaf'. */
  readonly op: string;
  /** The op's arguments (Variables at their positions, anything else as undefined). */
  readonly inputs: ReadonlyArray<Variable | undefined>;
  readonly backwardFn: BackwardFn | null;

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
 * graph when grad mode is on and some Variable argument requires a gradient.
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
