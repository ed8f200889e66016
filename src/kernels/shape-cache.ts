/**
 * Part of the fast paths (kernels/conv2d/, kernels/winograd/); the references build nothing ahead.
 *
 * Tables that depend only on a layer's geometry (gather offsets, index maps) are built once per
 * shape and reused: a model has a handful of shapes, and rebuilding them every call costs both the
 * loop and a fresh allocation, whose memory is page-faulted in on first touch.
 */

/** A per-shape cache, cleared past `limit` entries so that unusual shape streams stay bounded. */
export class ShapeCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit = 32) {}

  /** The value for `key`, made by `make` on a miss. The value is shared: callers must not modify it. */
  get(key: string, make: () => T): T {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= this.limit) this.entries.clear();
      value = make();
      this.entries.set(key, value);
    }
    return value;
  }
}
