// Deterministic JSON: every object's keys in sorted order, so reports and results files are the
// same bytes whatever order their fields were filled in.

/** A copy with every object's keys in sorted order (arrays keep their order). */
export function sortKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out as T;
  }
  return v;
}
