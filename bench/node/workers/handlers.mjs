// The handlers every library runs, imported by each library's worker file, so the work
// per task is identical and only the pool around it differs.

/** The tiny task: {a, b} -> {result}. Same shape as the native basic pack's `add`. */
export function add({ a, b }) {
  return { result: a + b };
}

/** poolifier's benchmark task: `n` times JSON.stringify of a small object. */
export function jsonLoop({ n }) {
  let length = 0;
  for (let i = 0; i < n; i++) length += JSON.stringify({ a: i }).length;
  return { ok: length > 0 };
}

/**
 * The native basic pack's `burn` (64-bit xorshift, `iterations` rounds) on two uint32
 * halves, since a BigInt version would measure BigInt allocation rather than the loop.
 * Returns the same `{value}` (low 32 bits) as the C++ action, which run.mjs checks.
 */
export function burn({ iterations }) {
  let hi = 0x9e3779b9 | 0;
  let lo = 0x7f4a7c15 | 0;
  for (let i = 0; i < iterations; i++) {
    // x ^= x << 13
    let h = (hi << 13) | (lo >>> 19);
    let l = lo << 13;
    hi ^= h;
    lo ^= l;
    // x ^= x >> 7
    l = (lo >>> 7) | (hi << 25);
    h = hi >>> 7;
    hi ^= h;
    lo ^= l;
    // x ^= x << 17
    h = (hi << 17) | (lo >>> 15);
    l = lo << 17;
    hi ^= h;
    lo ^= l;
  }
  return { value: lo >>> 0 };
}
