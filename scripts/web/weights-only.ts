/**
 * A training checkpoint → a weights-only checkpoint for the page: the same file format
 * (src/io/checkpoint.ts), with the parameters in float32 and the mean image, the config, metrics
 * and epoch kept, and the optimizer state dropped (SGD's float64 velocities are two thirds of a
 * training checkpoint, and a page that only attacks never resumes training).
 *
 *   npx tsx scripts/web/weights-only.ts IN.ckpt OUT.ckpt
 *
 * The input is checked as the command line checks a checkpoint it evaluates: it must decode, name
 * an architecture advgrad knows, fit that model exactly and carry its mean image.
 */
import { basename } from 'node:path';
import { CheckpointError, createModel, loadCheckpoint, restoreModel, saveCheckpoint, Tensor, type CheckpointContents } from '../../src/node.ts';

export function weightsOnly(c: CheckpointContents, sourceName: string): CheckpointContents {
  if (c.meanImage === null) throw new CheckpointError(`checkpoint ${sourceName}: holds no mean image, so the page could not prepare its inputs`);
  let model;
  try {
    model = createModel(c.architecture);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${sourceName}: ${(e as Error).message}`);
  }
  restoreModel(model, c, `checkpoint ${sourceName}`); // throws unless every parameter fits
  const toFloat32 = (t: Tensor): Tensor => new Tensor(Float32Array.from(t.data), [...t.shape]);
  return {
    architecture: c.architecture,
    params: c.params.map(([name, t]): [string, Tensor] => [name, toFloat32(t)]),
    meanImage: toFloat32(c.meanImage),
    ...(c.normalization === undefined ? {} : { normalization: c.normalization }),
    config: { ...c.config, weightsOnlyOf: { file: basename(sourceName), createdAt: c.createdAt ?? null } },
    metrics: c.metrics,
    epoch: c.epoch,
    optimizer: null,
  };
}

function main(argv: readonly string[]): number {
  if (argv.length !== 2 || argv.includes('--help')) {
    process.stderr.write('usage: npx tsx scripts/web/weights-only.ts IN.ckpt OUT.ckpt   (a training checkpoint → float32 weights and the mean image only)\n');
    return argv.includes('--help') ? 0 : 2;
  }
  const [input, output] = argv;
  const c = loadCheckpoint(input);
  saveCheckpoint(output, weightsOnly(c, input));
  process.stdout.write(`${output}: ${c.architecture}, epoch ${c.epoch}, ${c.params.length} parameter tensors in float32 and the mean image; optimizer state dropped\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`weights-only: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
