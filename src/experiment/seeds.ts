/**
 * `reproduce --seeds N`: the experiment for seeds s, s+1, …, s+N−1 (s = settings.seed), each run in
 * its own folder seed-<k>, then the spread of every table cell over the runs (report/seeds.ts),
 * written as results.json and report.md to the top folder's sink when one is given.
 */
import type { Results } from '../report/results.ts';
import { aggregateSeeds, renderSeedsReport, type SeedsResults } from '../report/seeds.ts';
import type { ExperimentSettings } from './config.ts';
import type { ExperimentContext, OutputSink } from './context.ts';
import { runExperiment } from './run.ts';

/**
 * @param contextFor the context of the run of `seed`, whose files go to the sub-folder `folder`
 * @param output the top folder: the spread goes to its results.json and report.md
 * @returns the runs in seed order, their folders and the spread (what the top results.json holds)
 */
export async function runSeeds(
  settings: ExperimentSettings,
  contextFor: (seed: number, folder: string, index: number) => ExperimentContext,
  started = performance.now(),
  output?: Pick<OutputSink, 'text'>,
): Promise<{ runs: Results[]; folders: string[]; spread: SeedsResults }> {
  const runs: Results[] = [];
  const folders: string[] = [];
  for (let i = 0; i < settings.seeds; i++) {
    const seed = settings.seed + i;
    folders.push(`seed-${seed}`);
    runs.push(await runExperiment(settings, seed, contextFor(seed, folders[i], i)));
  }
  const spread = aggregateSeeds(runs, folders, (performance.now() - started) / 1000);
  output?.text('results.json', `${JSON.stringify(spread, null, 2)}\n`);
  output?.text('report.md', renderSeedsReport(spread));
  return { runs, folders, spread };
}
