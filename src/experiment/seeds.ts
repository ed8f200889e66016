/**
 * `reproduce --seeds N`: the experiment for seeds s, s+1, …, s+N−1 (s = settings.seed), each run in
 * its own folder seed-<k>, then the spread of every table cell over the runs (report/seeds.ts).
 */
import type { Results } from '../report/results.ts';
import { aggregateSeeds, type SeedsResults } from '../report/seeds.ts';
import type { ExperimentSettings } from './config.ts';
import type { ExperimentContext } from './context.ts';
import { runExperiment } from './run.ts';

/**
 * @param contextFor the context of the run of `seed`, whose files go to the sub-folder `folder`
 * @returns the runs in seed order, their folders and the spread (what the top results.json holds)
 */
export async function runSeeds(
  settings: ExperimentSettings,
  contextFor: (seed: number, folder: string, index: number) => ExperimentContext,
  started = performance.now(),
): Promise<{ runs: Results[]; folders: string[]; spread: SeedsResults }> {
  const runs: Results[] = [];
  const folders: string[] = [];
  for (let i = 0; i < settings.seeds; i++) {
    const seed = settings.seed + i;
    folders.push(`seed-${seed}`);
    runs.push(await runExperiment(settings, seed, contextFor(seed, folders[i], i)));
  }
  return { runs, folders, spread: aggregateSeeds(runs, folders, (performance.now() - started) / 1000) };
}
