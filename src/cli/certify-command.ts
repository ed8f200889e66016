/**
 * `advgrad certify`: certified accuracy of a checkpoint on the MNIST test set (a lower bound of its
 * robust accuracy: no attack at that ε can fool a certified image), by IBP or CROWN; for a list of
 * ε the curve (table, and an SVG with --svg); with --radius each image's certified radius.
 */
import { CERTIFY_METHODS, type CertifyMethod, type CertifyOptions } from '../certify/certify.ts';
import { certifiedCurve, certifiedRadii } from '../certify/curve.ts';
import { boundNetwork, type BoundNetwork } from '../certify/network.ts';
import { writeFileAtomic } from '../io/write-atomic.ts';
import { certifiedCurveSvg, certifiedJson, formatCertifiedTable } from '../report/certify-text.ts';
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
  const points = certifiedCurve(net, images, labels, flags.eps as readonly number[], base, batch, progress);
  const tolerance = flags.tolerance as number;
  const maxEps = flags['max-eps'] as number;
  const radius = flags.radius ? certifiedRadii(net, images, labels, { ...base, maxEps, tolerance }, batch, progress) : null;
  if (flags.svg !== undefined) writeFileAtomic(flags.svg as string, certifiedCurveSvg(points, method, path), 'write the chart');
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(certifiedJson({ checkpoint: path, method, intermediate: base.intermediate, clip: base.clip }, points, N, radius && { ...radius, tolerance, maxEps }))}\n`);
    return;
  }
  progress.note(`${method} certificates for ${path}, ${N} test images${base.clip ? ', clipped to the pixel range' : ''}`);
  process.stdout.write(`${formatCertifiedTable(points, N, radius && { ...radius, tolerance, maxEps })}\n`);
}
