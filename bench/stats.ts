/**
 * Summaries for the benchmark figures: median and spread (p5/p95, min/max) of a sample.
 * Percentiles use linear interpolation between the closest ranks.
 */

export interface Summary {
  n: number;
  median: number;
  p5: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function summarise(values: readonly number[]): Summary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
  return {
    n: s.length,
    median: percentile(s, 50),
    p5: percentile(s, 5),
    p95: percentile(s, 95),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    mean,
  };
}

/** Rounds every number of a summary for the JSON file (keeps it readable). */
export function rounded(s: Summary, digits = 3): Summary {
  const r = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);
  return { n: s.n, median: r(s.median), p5: r(s.p5), p95: r(s.p95), min: r(s.min), max: r(s.max), mean: r(s.mean) };
}

/** A number for a table cell: 3 significant digits, thousands kept whole. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toString();
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(2);
}

/** "median (p5–p95)" or, for small samples, "median (min–max)". */
export function spread(s: Summary, unit = ''): string {
  if (s.n === 0) return '–';
  if (s.n === 1 || s.min === s.max) return `${num(s.median)}${unit}`;
  const [lo, hi, tag] = s.n >= 10 ? [s.p5, s.p95, 'p5–p95'] : [s.min, s.max, 'min–max'];
  return `${num(s.median)}${unit} (${tag} ${num(lo)}–${num(hi)})`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock ms with sub-ms resolution, comparable across processes on one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
