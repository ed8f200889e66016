/**
 * What `advgrad certify` prints and draws: the certified accuracy against ε as a table (with the
 * radius line when radii were found), as an SVG chart, and as one JSON object.
 */
import { PIXEL_RANGE } from '../attacks/fgsm.ts';
import type { CertifyMethod } from '../certify/certify.ts';
import type { CertifiedPoint, CertifiedRadii } from '../certify/curve.ts';
import { formatWithError } from '../robustness/stats.ts';
import { lineChartSvg } from './svg-chart.ts';

/** The curve as an SVG line chart with standard-error bars; `name` (the checkpoint) in the title. */
export function certifiedCurveSvg(points: readonly CertifiedPoint[], method: CertifyMethod, name: string): string {
  const xMax = Math.max(...points.map((p) => p.eps), 1e-3);
  return lineChartSvg({
    title: `Certified accuracy (${method.toUpperCase()}, ${points[0]?.count ?? 0} test images): ${name}`,
    xLabel: 'ε (fraction of the pixel range; 0.25 = 63.75 grey levels)',
    yLabel: 'certified accuracy (lower bound)',
    series: [{ label: `${method} certified`, color: '#2ca02c', points: points.map((p) => ({ x: p.eps, y: p.accuracy, error: p.standardError })) }],
    xMax,
  });
}

/** One row per ε (grey levels, certified ± se, ms per image over N images), then the radius line if any. */
export function formatCertifiedTable(points: readonly CertifiedPoint[], N: number, radius: (CertifiedRadii & { tolerance: number; maxEps: number }) | null): string {
  const lines = ['     ε   grey levels   certified ± se      ms/image'];
  for (const p of points) lines.push(`${p.eps.toFixed(3).padStart(6)}   ${(p.eps * PIXEL_RANGE).toFixed(2).padStart(11)}   ${formatWithError(p.accuracy, N)}   ${((p.seconds / N) * 1000).toFixed(1).padStart(8)}`);
  if (radius !== null) {
    lines.push(`certified radius (bisection to ${radius.tolerance}, at most ${radius.maxEps}): mean ${radius.mean.toFixed(4)}, median ${radius.median.toFixed(4)}, ${((radius.seconds / N) * 1000).toFixed(1)} ms/image`);
  }
  return lines.join('\n');
}

/** The JSON object of `advgrad certify --json`: the run's settings, each ε's figure with grey levels and seconds per image, the radii. */
export function certifiedJson(
  run: { checkpoint: string; method: CertifyMethod; intermediate?: string; clip?: boolean }, points: readonly CertifiedPoint[], N: number, radius: (CertifiedRadii & { tolerance: number; maxEps: number }) | null,
): object {
  const results = points.map((p) => ({ ...p, epsGreyLevels: p.eps * PIXEL_RANGE, secondsPerImage: p.seconds / N }));
  return { ...run, count: N, results, radius };
}
