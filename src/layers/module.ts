/**
 * Module: a layer or network with named parameters (explicit, no reflection) and a forward.
 * Sequential chains modules; a parameter's full name joins the path, e.g. 'conv1.weight'.
 */
import type { Variable } from '../autograd/variable.ts';

export abstract class Module {
  /** y = module(x). */
  abstract forward(x: Variable): Variable;

  /** This module's parameters with their names; none by default (ReLU, pooling). */
  namedParameters(): Array<[string, Variable]> {
    return [];
  }

  /** The parameters, in a fixed order (the order of namedParameters). */
  parameters(): Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Forgets every parameter's accumulated gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}

/** Modules applied in order: y = fₖ(…f₂(f₁(x))). */
export class Sequential extends Module {
  readonly layers: ReadonlyArray<readonly [string, Module]>;

  /** @param layers modules, or [name, module] pairs (unnamed ones are named by position). */
  constructor(layers: ReadonlyArray<Module | readonly [string, Module]>) {
    super();
    const seen = new Set<string>();
    this.layers = layers.map((entry, i) => {
      const named: readonly [string, Module] = entry instanceof Module ? [String(i), entry] : entry;
      if (seen.has(named[0])) throw new Error(`Sequential: two layers are named '${named[0]}'`);
      seen.add(named[0]);
      return named;
    });
  }

  forward(x: Variable): Variable {
    let y = x;
    for (const [, layer] of this.layers) y = layer.forward(y);
    return y;
  }

  override namedParameters(): Array<[string, Variable]> {
    const out: Array<[string, Variable]> = [];
    for (const [name, layer] of this.layers) {
      for (const [pName, p] of layer.namedParameters()) out.push([`${name}.${pName}`, p]);
    }
    return out;
  }
}
