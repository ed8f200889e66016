/**
 * The convergence study's two SVG charts (report/convergence-chart.ts) written into a folder,
 * each atomically. Node only.
 */
import { join } from 'node:path';
import { convergenceCharts } from '../report/convergence-chart.ts';
import type { Convergence } from '../robustness/convergence.ts';
import { writeFileAtomic } from './write-atomic.ts';

/** Writes convergence-steps.svg and convergence-restarts.svg into `dir`; returns their paths. */
export function writeConvergenceCharts(dir: string, study: Convergence): [string, string] {
  const charts = convergenceCharts(study);
  const paths: [string, string] = [join(dir, 'convergence-steps.svg'), join(dir, 'convergence-restarts.svg')];
  writeFileAtomic(paths[0], charts.steps);
  writeFileAtomic(paths[1], charts.restarts);
  return paths;
}
