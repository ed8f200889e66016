/**
 * How two runs of `reproduce` differ, cell by cell: a drift table between results A (the
 * baseline, e.g. the 3 + 3 default) and B (e.g. the paper's 30 + 30 epochs,
 * `--preset seed`).
 *
 * Every accuracy is a binomial proportion measured on its own n images, so each difference comes
 * with the standard error of a difference of two independent proportions,
 *
 *   se(b − a) = √(a·(1 − a)/n_a + b·(1 − b)/n_b),
 *
 * and is marked "beyond noise" when |b − a| > 2·se. The runs share their test images, which makes
 * this test conservative. Confidences (mean softmax probabilities) carry no such error here: their
 * differences are printed without a verdict.
 */
import type { Results } from './results.ts';
import { standardError } from '../robustness/stats.ts';

export interface DriftRow {
  /** What the cell is, e.g. "adversarially trained, FGSM accuracy". */
  cell: string;
  a: number;
  b: number;
  /** Standard error of b − a; null for a figure without one (a confidence). */
  se: number | null;
}

const MODELS = [
  ['standard', 'standard'],
  ['adversarial', 'FGSM-trained'],
] as const;

const ROBUST_FIGURES = [
  ['pgd', 'PGD-40 accuracy'],
  ['pgdClipped', 'PGD-40 clipped accuracy'],
  ['worstCase', 'worst-case accuracy'],
] as const;

/** The cells both runs measured, in report order: the paper's tables first, then "How robust, really?". */
export function driftRows(a: Results, b: Results): DriftRow[] {
  const rows: DriftRow[] = [];
  const proportion = (cell: string, pa: number, na: number, pb: number, nb: number): void => {
    rows.push({ cell, a: pa, b: pb, se: Math.sqrt(standardError(pa, na) ** 2 + standardError(pb, nb) ** 2) });
  };
  for (const [key, name] of MODELS) {
    for (const [side, label] of [['clean', 'clean'], ['adversarial', 'FGSM']] as const) {
      const ma = a[key][side];
      const mb = b[key][side];
      proportion(`${name}, ${label} accuracy`, ma.accuracy, ma.count, mb.accuracy, mb.count);
      rows.push({ cell: `${name}, ${label} confidence`, a: ma.confidence, b: mb.confidence, se: null });
    }
  }
  for (const [key, name] of MODELS) {
    const ra = a.robustness?.models[key];
    const rb = b.robustness?.models[key];
    if (!ra || !rb) continue;
    for (const [figure, label] of ROBUST_FIGURES) {
      proportion(`${name}, ${label} (${ra.count} / ${rb.count} images)`, ra.accuracy[figure], ra.count, rb.accuracy[figure], rb.count);
    }
  }
  return rows;
}

/** The drift table in Markdown: A, B, B − A, its standard error and the verdict. */
export function driftMarkdown(a: Results, b: Results, names: { a: string; b: string }): string {
  const out = [`| cell | ${names.a} | ${names.b} | difference | 2·se | beyond noise |`, '|---|---:|---:|---:|---:|---|'];
  for (const row of driftRows(a, b)) {
    const difference = row.b - row.a;
    const sign = difference >= 0.00005 ? '+' : difference <= -0.00005 ? '−' : '±';
    const twoSe = row.se === null ? '' : (2 * row.se).toFixed(4);
    const verdict = row.se === null ? '' : Math.abs(difference) > 2 * row.se ? '**yes**' : 'no';
    out.push(`| ${row.cell} | ${row.a.toFixed(4)} | ${row.b.toFixed(4)} | ${sign}${Math.abs(difference).toFixed(4)} | ${twoSe} | ${verdict} |`);
  }
  return out.join('\n');
}
