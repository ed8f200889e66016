/**
 * `advgrad certify`: certified accuracy of a checkpoint on the MNIST test set (a lower bound of its
 * robust accuracy: no attack at that ε can fool a certified image), by IBP or CROWN; for a list of
 * ε the curve (table, and an SVG with --svg); with --radius each image's certified radius.
 */
import { PIXEL_RANGE } from '../attacks/fgsm.ts';
import { certifyBatch, CERTIFY_METHODS, type CertifyMethod, type CertifyOptions } from '../certify/certify.ts';
import { boundNetwork, type BoundNetwork } from '../certify/network.ts';
import { certifiedAccuracy, certifiedRadius, type CertifiedAccuracy } from '../certify/radius.ts';
import { writeFileAtomic } from '../io/write-atomic.ts';
import { lineChartSvg } from '../report/svg-chart.ts';
import { formatWithError } from '../robustness/stats.ts';
import { Tensor } from '../tensor/tensor.ts';
import { CliError, type FlagSpecs, type FlagValues } from './args.ts';
import { CHECKPOINT_FLAG, DATA_FLAGS, loadCheckpointModel, prepareData } from './common.ts';
import { Progress } from '../report/progress.ts';

export const CERTIFY_FLAGS: FlagSpecs = {
  ...CHECKPOINT_FLAG,
  eps: { type: 'numbers', min: 0, max: 1, default: [0.25], help: 'ε as a fraction of the pixel range (0.25 = 63.75 grey levels); a comma-separated list gives a curve', placeholder: 'E[,E…]' },
  method: { type: 'enum', choices: CERTIFY_METHODS, default: 'crown', help: 'ibp (interval bounds) or crown (linear relaxations, never looser than ibp)' },
  intermediate: { type: 'enum', choices: ['ibp', 'crown'], default: 'ibp', help: "crown: bound the ReLUs' inputs by IBP (fast) or by CROWN too (tighter, far slower)" },
  clip: { type: 'bool', default: false, help: 'certify only against images inside the valid pixels [0, 255] (as the attacks\' --clip)' },
  radius: { type: 'bool', default: false, help: "also find each image's certified radius by bisection over ε" },
  tolerance: { type: 'number', min: 1e-6, max: 1, default: 1e-3, help: 'radius: bisection stops when the bracket is this narrow (fraction of the pixel range)' },
  'max-eps': { type: 'number', min: 1e-6, max: 1, default: 0.5, help: 'radius: the largest ε tried' },
  svg: { type: 'string', help: 'write the certified accuracy against ε as an SVG chart to FILE', placeholder: 'FILE' },
  batch: { type: 'int', min: 1, default: 50, help: 'images bounded at once (memory grows with it)' },
  ...DATA_FLAGS,
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout (progress goes to stderr)' },
};

export const CERTIFY_HELP =
  'Certified accuracy of a checkpoint on the MNIST test set: the share of images whose every logit margin is provably positive for every input within ε (a lower bound of the robust accuracy; attacks give upper bounds).';

/** Rows [start, start + count) of x [N, …] as a tensor sharing its storage. */
function rows(x: Tensor, start: number, count: number): Tensor {
  const S = x.size / x.shape[0];
  return new Tensor(x.data.subarray(start * S, (start + count) * S), [count, ...x.shape.slice(1)]);
}

/** Runs fn on consecutive batches of images, reporting progress. */
function inBatches(N: number, batch: number, progress: Progress, label: string, fn: (start: number, count: number) => void): void {
  for (let start = 0; start < N; start += batch) {
    fn(start, Math.min(batch, N - start));
    progress.task(label, Math.min(start + batch, N), N);
  }
}

interface Point extends CertifiedAccuracy {
  eps: number;
  seconds: number;
}

function curveSvg(points: readonly Point[], method: CertifyMethod, name: string): string {
  const xMax = Math.max(...points.map((p) => p.eps), 1e-3);
  return lineChartSvg({
    title: `Certified accuracy (${method.toUpperCase()}, ${points[0]?.count ?? 0} test images): ${name}`,
    xLabel: 'ε (fraction of the pixel range; 0.25 = 63.75 grey levels)',
    yLabel: 'certified accuracy (lower bound)',
    series: [{ label: `${method} certified`, color: '#2ca02c', points: points.map((p) => ({ x: p.eps, y: p.accuracy, error: p.standardError })) }],
    xMax,
  });
}

export async function certifyCommand(flags: FlagValues): Promise<void> {
  const { model, path, checkpoint } = loadCheckpointModel('certify', flags);
  const data = prepareData(flags, checkpoint.meanImage);
  const { images, labels } = data.test;
  const N = labels.length;
  let net: BoundNetwork;
  try {
    net = boundNetwork(model, images.shape.slice(1));
  } catch (e) {
    throw new CliError(`--checkpoint ${path}: ${(e as Error).message}`);
  }
  const method = flags.method as CertifyMethod;
  const base: Omit<CertifyOptions, 'eps'> = { method, clip: flags.clip as boolean, mean: data.mean, intermediate: flags.intermediate as 'ibp' | 'crown' };
  const batch = flags.batch as number;
  const progress = new Progress(process.stderr, flags.json as boolean);
  const points: Point[] = [];
  for (const eps of flags.eps as readonly number[]) {
    const certified: boolean[] = [];
    const t0 = performance.now();
    inBatches(N, batch, progress, `${method} ε = ${eps}`, (start, count) => {
      certified.push(...certifyBatch(net, rows(images, start, count), labels.subarray(start, start + count), { ...base, eps }).certified);
    });
    points.push({ eps, ...certifiedAccuracy(certified), seconds: (performance.now() - t0) / 1000 });
  }
  let radius: { perImage: number[]; mean: number; median: number; seconds: number } | null = null;
  if (flags.radius) {
    const perImage: number[] = [];
    const t0 = performance.now();
    inBatches(N, batch, progress, `${method} radius`, (start, count) => {
      const r = certifiedRadius(net, rows(images, start, count), labels.subarray(start, start + count), { ...base, maxEps: flags['max-eps'] as number, tolerance: flags.tolerance as number });
      perImage.push(...r.radius);
    });
    const sorted = [...perImage].sort((a, b) => a - b);
    radius = { perImage, mean: perImage.reduce((a, b) => a + b, 0) / N, median: sorted[Math.floor((N - 1) / 2)], seconds: (performance.now() - t0) / 1000 };
  }
  if (flags.svg !== undefined) writeFileAtomic(flags.svg as string, curveSvg(points, method, path), 'write the chart');
  if (flags.json) {
    const results = points.map((p) => ({ ...p, epsGreyLevels: p.eps * PIXEL_RANGE, secondsPerImage: p.seconds / N }));
    const json = { checkpoint: path, method, intermediate: base.intermediate, clip: base.clip, count: N, results, radius: radius && { ...radius, tolerance: flags.tolerance, maxEps: flags['max-eps'] } };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  progress.note(`${method} certificates for ${path}, ${N} test images${base.clip ? ', clipped to the pixel range' : ''}`);
  const lines = ['     ε   grey levels   certified ± se      ms/image'];
  for (const p of points) lines.push(`${p.eps.toFixed(3).padStart(6)}   ${(p.eps * PIXEL_RANGE).toFixed(2).padStart(11)}   ${formatWithError(p.accuracy, N)}   ${((p.seconds / N) * 1000).toFixed(1).padStart(8)}`);
  if (radius !== null) {
    lines.push(`certified radius (bisection to ${flags.tolerance as number}, at most ${flags['max-eps'] as number}): mean ${radius.mean.toFixed(4)}, median ${radius.median.toFixed(4)}, ${((radius.seconds / N) * 1000).toFixed(1)} ms/image`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
