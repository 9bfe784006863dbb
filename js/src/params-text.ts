/**
 * Params cross to the core as JSON text when that text means exactly what the value would:
 * one string is one N-API call, where walking an object costs several per property (a
 * closed loop of tiny native tasks spent a fifth of its main-thread time converting
 * `{a, b}`). Plain data qualifies: plain objects and arrays of strings, numbers, booleans,
 * null and undefined, at most 64 levels deep. Anything else (typed arrays, which cross as
 * bytes; dates and other instances, which JSON.stringify would turn into something else;
 * functions, symbols and BigInts, which are refused with a path) crosses as the value
 * itself. The text is read back by bindings/shared/json_text.cc.
 */

/** Deepest nesting the core converts (MAX_DEPTH in node-addon/convert.cc). */
const MAX_DEPTH = 64;

/** JSON text for `params` when it is plain data, otherwise undefined. */
export function paramsText(params: object): string | undefined {
  try {
    return isPlainData(params, 0) ? JSON.stringify(params) : undefined;
  } catch {
    // A getter threw: the value-by-value conversion reports it where it happens.
    return undefined;
  }
}

function isPlainData(value: object, depth: number): boolean {
  if (Array.isArray(value)) {
    if (value.length > 0 && depth >= MAX_DEPTH) return false;
    for (let i = 0; i < value.length; i++) {
      if (!isPlainValue(value[i], depth + 1)) return false;
    }
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) {
    if (depth >= MAX_DEPTH) return false;
    if (!isPlainValue((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function isPlainValue(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      return value === null || isPlainData(value, depth);
    default:
      return false;
  }
}
