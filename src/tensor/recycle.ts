/**
 * Recycling of op outputs and intermediates between calls of the same work (a training shard, an
 * FGSM step, a batch of logits, one PGD step): fresh typed-array memory is expensive on a virtual
 * machine. The kernel hands a new allocation zero pages that are faulted in on first touch, and
 * freed pages go back to the host, so a LeNet step that allocated ~6 MB of outputs and gradients
 * per 25 images paid for faulting all of it in again every time. Arrays that die together with a
 * unit of work are instead handed to the next unit, zeroed, which is the contract of a new one.
 *
 *   recycling(fn)   runs fn; every array that `allocate` (tensor.ts) hands out while fn runs is
 *                   free for reuse once fn returns, except those passed to `keep`
 *   keep(a)         a outlives the innermost recycling scope (it joins the enclosing one, if any)
 *   release(a, …)   gives arrays whose owner is done with them back to the pool
 *
 * The rule is a promise by the caller of `recycling`: nothing allocated inside fn is referenced
 * after fn returns, except what fn kept (its result, typically). The engines (train/engine.ts,
 * train/workers/thread-main.ts) make that promise for a shard, a row chunk, an attack; pgd.ts for one of
 * its steps. Outside any scope, `allocate` still takes a free array when one of the right size
 * waits (a free array is referenced by nobody), and nothing is recycled.
 *
 * Arrays are matched by dtype and exact length (a LeNet's shapes repeat step after step); small
 * ones are not pooled (V8 allocates them cheaply). The pool is bounded and gives up its oldest
 * arrays first, so sizes that stop coming back (PGD's batch shrinking as rows stop, an epoch's
 * last short batch) leave it instead of crowding out the ones in use. If fn throws, nothing is
 * recycled: the caller may still look at partial results, and the garbage collector takes them.
 */

/** The typed arrays the pool holds. */
export type PooledArray = Float32Array | Float64Array | Int32Array;
type PooledConstructor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;

/** Arrays shorter than this are not pooled: they come from V8's heap cheaply. */
const MIN_LENGTH = 1024;
/** At most this many bytes wait in the pool; past it the oldest are left to the garbage collector. */
const MAX_POOLED_BYTES = 128 * 2 ** 20;

/** Free arrays per type and length. */
const free = new Map<PooledConstructor, Map<number, PooledArray[]>>();
/** The same arrays in the order they were given back, oldest first. */
const order: PooledArray[] = [];
/** Every array pooledArray made (only those are ever pooled), and those waiting in the pool now. */
const made = new WeakSet<PooledArray>();
const waiting = new WeakSet<PooledArray>();
let pooledBytes = 0;
/** The arrays handed out in each open scope, innermost last. */
const scopes: PooledArray[][] = [];

/**
 * A zero-filled array of `length` elements of type `type`: a free one from the pool if one
 * waits, else a new one. Inside a recycling scope it is recorded there.
 */
export function pooledArray<T extends PooledArray>(type: { new (length: number): T }, length: number): T {
  if (length < MIN_LENGTH) return new type(length);
  let a = free.get(type as unknown as PooledConstructor)?.get(length)?.pop() as T | undefined;
  if (a === undefined) {
    a = new type(length);
    made.add(a);
  } else {
    forget(a);
    a.fill(0);
  }
  if (scopes.length > 0) scopes[scopes.length - 1].push(a);
  return a;
}

/** Runs `fn`; what `pooledArray` handed out meanwhile is reused afterwards, except what was kept (file header). */
export function recycling<T>(fn: () => T): T {
  const mine: PooledArray[] = [];
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  for (const a of mine) returnToPool(a);
  return result;
}

/**
 * Marks the array (or anything sharing its buffer: a reshaped view, a subarray) as outliving the
 * innermost recycling scope; it then belongs to the enclosing scope, if any. Returns `a`.
 */
export function keep<A extends ArrayBufferView>(a: A): A {
  if (scopes.length === 0) return a;
  const mine = scopes[scopes.length - 1];
  for (let i = mine.length - 1; i >= 0; i--) {
    if (mine[i].buffer !== a.buffer) continue;
    const [kept] = mine.splice(i, 1);
    if (scopes.length > 1) scopes[scopes.length - 2].push(kept);
  }
  return a;
}

/**
 * Gives arrays back to the pool: the caller promises that nobody uses them any more (the training
 * loop's batch and batch gradient, once the optimiser has stepped). Only arrays that pooledArray
 * made are taken (not someone's own buffer that happens to pass through), each at most once.
 */
export function release(...arrays: ArrayBufferView[]): void {
  for (const a of arrays) if (made.has(a as PooledArray)) returnToPool(a as PooledArray);
}

function returnToPool(a: PooledArray): void {
  if (waiting.has(a) || a.byteLength > MAX_POOLED_BYTES) return;
  waiting.add(a);
  const ctor = a.constructor as PooledConstructor;
  let bySize = free.get(ctor);
  if (bySize === undefined) free.set(ctor, (bySize = new Map()));
  let list = bySize.get(a.length);
  if (list === undefined) bySize.set(a.length, (list = []));
  list.push(a);
  order.push(a);
  pooledBytes += a.byteLength;
  while (pooledBytes > MAX_POOLED_BYTES) {
    const oldest = order[0];
    const same = free.get(oldest.constructor as PooledConstructor)!.get(oldest.length)!;
    same.splice(same.indexOf(oldest), 1);
    forget(oldest);
  }
}

/** Takes a (waiting in its size's list, already removed from that list) out of the pool's books. */
function forget(a: PooledArray): void {
  order.splice(order.lastIndexOf(a), 1); // recently given back, so near the end
  waiting.delete(a);
  pooledBytes -= a.byteLength;
}

/** Bytes waiting in the pool (for tests). */
export function pooledByteCount(): number {
  return pooledBytes;
}
