// godo serialises unset fields without `omitempty` as JSON null; the API reads them as absent.

/** Object members that are null are removed at every depth; nulls inside arrays are values and stay. */
export function withoutNulls<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => (v === null ? v : withoutNulls(v))) as T;
    if (!value || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
    return out as T;
}
