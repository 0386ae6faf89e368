export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

/** Rotates `items` by `k`: round k starts with another contender, so drift in load hits each one equally. */
export const rotate = (items, k) => items.map((_, i) => items[(i + k) % items.length]);
