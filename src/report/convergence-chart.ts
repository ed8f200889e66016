/**
 * The convergence plots of an attack (robustness/convergence.ts) as two standalone SVG line
 * charts: accuracy (± one standard error) against APGD's steps, and against its restarts. A curve
 * that is still falling at its right end says the attack has not converged: its accuracy is an
 * upper bound that more budget would lower.
 */
import type { Convergence, ConvergencePoint, LastDoubling } from '../robustness/convergence.ts';
import { lineChartSvg } from './svg-chart.ts';

function verdict(last: LastDoubling | null): string {
  if (last === null) return '';
  const p = last.pValue < 0.001 ? 'p < 0.001' : `p = ${last.pValue.toFixed(3)}`;
  return ` (${last.from} → ${last.to}: ${last.stillFalling ? 'still falling' : 'flat'}, McNemar ${p})`;
}

function chart(title: string, xLabel: string, points: readonly ConvergencePoint[], color: string, label: string): string {
  const top = Math.max(...points.map((p) => p.accuracy + p.standardError));
  const yMax = Math.min(1, Math.ceil(top * 10 + 0.5) / 10); // a tenth above the highest error bar
  return lineChartSvg({
    title,
    xLabel,
    yLabel: 'accuracy (upper bound)',
    xMax: points[points.length - 1].budget,
    xTicks: points.map((p) => p.budget),
    yMax,
    yTicks: Array.from({ length: Math.round(yMax * 10) + 1 }, (_, i) => i / 10),
    series: [{ label, color, points: points.map((p) => ({ x: p.budget, y: p.accuracy, error: p.standardError })) }],
  });
}

/** The two charts as SVG text: accuracy against steps, and against restarts. */
export function convergenceCharts(c: Convergence): { steps: string; restarts: string } {
  return {
    steps: chart(`${c.attack}: accuracy against steps`, 'steps', c.steps, '#1f5fa8', `${c.attack}${verdict(c.lastSteps)}`),
    restarts: chart(`${c.attack}: accuracy against restarts of ${c.restartSteps} steps`, 'restarts', c.restarts, '#b0491e', `${c.attack}${verdict(c.lastRestarts)}`),
  };
}

/** The convergence as a text table: one row per budget, accuracy ± standard error. */
export function convergenceTable(c: Convergence): string {
  const rows = (name: string, points: readonly ConvergencePoint[]): string[] =>
    points.map((p) => `${name.padEnd(9)}${String(p.budget).padStart(5)}   ${p.accuracy.toFixed(4)} ± ${p.standardError.toFixed(4)}`);
  return [
    `${c.attack}, ${c.count} images: accuracy (an upper bound) against the attack's budget`,
    '  budget           accuracy ± se',
    ...rows('  steps', c.steps),
    ...rows('  restarts', c.restarts),
    `  (each restart runs ${c.restartSteps} steps)`,
    `  last step doubling${verdict(c.lastSteps)}`,
    `  last restart doubling${verdict(c.lastRestarts)}`,
  ].join('\n');
}
