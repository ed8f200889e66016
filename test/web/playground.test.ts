/**
 * The browser playground (web/) in a real browser: Debian's Chromium, headless, driven only by its
 * own command-line modes. The page's ?selftest mode works its own controls through DOM events and
 * writes a JSON result into the page; `chromium --dump-dom` prints the page once it has loaded,
 * and the page holds its load event until the selftest is done (web/app.js says how). The test
 * checks that result against advgrad computed here in Node on the same inputs.
 *
 * Chromium missing: the file is skipped with a message, except under CI (test/web/chromium.ts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  boundNetwork, certifiedRadius, createModel, defaultMnistDir, encodeCheckpoint, loadCheckpoint, loadIdxDataset, noGrad, restoreModel, runAttack,
  softmaxForward, subtractMean, Tensor, Variable, type AttackSpec, type Dataset,
} from '../../src/node.ts';
import { buildWeb, compilePackage, WEB } from '../../scripts/web/build.ts';
import { CHROMIUM, IN_CI, selftest as runSelftest, type SelftestResult } from './chromium.ts';
import { serveStatic, type RequestLogEntry, type RunningServer } from '../../scripts/web/serve.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUTPUT = join(ROOT, 'test-output/web');

if (CHROMIUM === null && !IN_CI) {
  console.warn('test/web/playground.test.ts: skipped, chromium is not installed (apt-get install -y chromium; CI installs it)');
}

/** Float32 rounding: the page and Node run the same code on the same float32 inputs; only the engines' last bits may differ. */
const TOLERANCE = 1e-6;

interface Snapshot {
  modelId: string;
  attack: { name: string; eps: number; steps: number; clip: boolean };
  label: number;
  clean: { predicted: number; probs: number[] };
  adv: { predicted: number; probs: number[] };
  etaMaxAbs: number;
  prediction: string;
  pixels?: number[];
}

let dir: string;
let server: RunningServer;
const requests: RequestLogEntry[] = [];

describe.skipIf(CHROMIUM === null && !IN_CI)('the playground in headless Chromium', () => {
  let full: SelftestResult;

  beforeAll(async () => {
    if (CHROMIUM === null) throw new Error('chromium is not installed, and under CI the browser test must run (.ci/run installs it with apt-get)');
    dir = mkdtempSync(join(tmpdir(), 'advgrad-web-'));
    // A build of our own (not dist/, which another test's npm pack may be rewriting at this moment).
    compilePackage(join(dir, 'dist'));
    buildWeb({ compile: false, dist: join(dir, 'dist'), out: join(dir, 'web') });
    writeFixtures(join(dir, 'fixtures'));
    server = await serveStatic({
      root: WEB, port: 0, onRequest: (entry) => requests.push(entry),
      mounts: { '/lib/': join(dir, 'web/lib'), '/data/': join(dir, 'web/data'), '/fixtures/': join(dir, 'fixtures') },
    });
    mkdirSync(OUTPUT, { recursive: true });
    full = await selftest('?selftest', join(OUTPUT, 'playground.png'));
  }, 120_000);

  afterAll(async () => {
    console.log(`playground: the largest difference between a probability in the page and in Node: ${largestDifference}`);
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('the selftest ran to the end', () => {
    expect(full.error).toBeUndefined();
    expect(full.ok).toBe(true);
    expect(full.notices).toEqual([]); // no model refused, nothing failed
  });

  test('test image 0, standard model, FGSM at ε = 0.25: the page predicts and scores as advgrad does in Node', () => {
    const shown = full.fgsmEps025 as Snapshot;
    expect(shown.attack).toMatchObject({ name: 'fgsm', eps: 0.25 });
    const node = inNode('standard', 0, { attack: 'fgsm', eps: 0.25 }, 0);
    expectSameScores(shown, node);
    expect(shown.etaMaxAbs).toBeCloseTo(0.25 * 255, 3); // η saturates at ε in grey levels
  });

  test('PGD-40 at ε = 0.1 on the PGD-trained variant, a scalar-mean checkpoint (seeded random start), also matches Node', () => {
    // the shipped robust model subtracts one mean grey level (checkpoint normalization 'scalar'):
    // the page must prepare its inputs from the checkpoint as Node does, or the numbers differ
    const checkpoint = loadCheckpoint(join(WEB, 'models/pgd-trained.ckpt'));
    expect(checkpoint.normalization).toBe('scalar');
    expect(checkpoint.architecture).toBe('lenet-relu-mnist');
    const shown = full.pgd40Eps01 as Snapshot;
    expect(shown.attack).toMatchObject({ name: 'pgd', eps: 0.1, steps: 40 });
    const node = inNode('pgd-trained', 0, { attack: 'pgd', eps: 0.1, steps: 40, earlyStop: false, seed: 0 }, 0);
    expectSameScores(shown, node);
  });

  test('the page shows the certified radius beside the smallest fooling ε, radius ≤ fooling ε, and the radius Node finds', () => {
    for (const [name, modelId] of [['bracketFgsm', 'standard'], ['bracketPgd40', 'pgd-trained']] as const) {
      const shown = full[name] as { text: string; modelId: string; radius: number; foolingEps: number | null; foolsAtRadius: boolean; tolerance: number };
      expect(shown.modelId, name).toBe(modelId);
      expect(shown.text, name).toMatch(/Certified \(CROWN\)|Not certified/);
      if (shown.foolingEps !== null) expect(shown.radius, name).toBeLessThanOrEqual(shown.foolingEps);
      expect(shown.foolsAtRadius, name).toBe(false);
      const checkpoint = loadCheckpoint(join(WEB, `models/${modelId}.ckpt`));
      const model = createModel(checkpoint.architecture);
      restoreModel(model, checkpoint);
      const test = mnistTest();
      const x = subtractMean(new Tensor(test.images.data.slice(0, 784), [1, 1, 28, 28]), checkpoint.meanImage!);
      const node = certifiedRadius(boundNetwork(model, [1, 28, 28]), x, [test.labels[0]], { method: 'crown', clip: false, mean: checkpoint.meanImage!, maxEps: 0.5, tolerance: shown.tolerance / 5 });
      expect(Math.abs(shown.radius - node.radius[0]), name).toBeLessThanOrEqual(shown.tolerance / 5);
    }
  });

  test('clicking a thumbnail of the gallery picks that test image', () => {
    expect(full.galleryPick).toEqual({ index: 21, label: `label ${mnistTest().labels[21]}` });
  });

  test('moving the slider from ε = 0 to 0.25 changes the adversarial prediction', () => {
    const at0 = full.fgsmEps0 as Snapshot;
    const at025 = full.fgsmEps025 as Snapshot;
    expect(at0.etaMaxAbs).toBe(0);
    expect(at0.adv.probs).toEqual(at0.clean.probs); // ε = 0 leaves the image as it is
    expect(at0.adv.predicted).toBe(at0.label);
    expect(at025.adv.predicted).not.toBe(at0.adv.predicted);
  });

  test('a drawn 1 and a drawn 7 are classified, as Node classifies the same 28×28 pixels', () => {
    for (const [name, digit] of [['drawnOne', 1], ['drawnSeven', 7]] as const) {
      const shown = full[name] as Snapshot;
      expect(shown.pixels).toHaveLength(784);
      expect(shown.clean.predicted, name).toBe(digit);
      const node = inNode('standard', null, { attack: 'fgsm', eps: 0.1 }, 0, Float32Array.from(shown.pixels!));
      expectSameScores(shown, node);
    }
  });

  test('an empty pad says "draw a digit" rather than predicting', () => {
    for (const name of ['emptyPad', 'clearedPad']) {
      expect(full[name], name).toEqual({ text: 'draw a digit', state: 'empty' });
    }
  });

  test('one FGSM and one PGD-40 update were timed (medians)', () => {
    const timing = full.timing as { fgsm: { runs: number; attackMs: number }; pgd40: { runs: number; attackMs: number } };
    console.log(`playground timings (headless Chromium, worker): ${JSON.stringify(timing)}`);
    expect(timing.fgsm.runs).toBeGreaterThanOrEqual(5);
    expect(timing.pgd40.attackMs).toBeGreaterThan(timing.fgsm.attackMs); // 40 steps cost more than one
  });

  test('the page and its worker loaded nothing from outside the server', () => {
    const origins = new Set(full.resources.map((url) => new URL(url).origin));
    expect([...origins]).toEqual([new URL(server.url).origin]);
    // The worker did fetch the library and the checkpoints (so the list is not empty by accident).
    expect(full.resources.some((url) => url.endsWith('/lib/advgrad/index.js'))).toBe(true);
    expect(full.resources.some((url) => url.endsWith('/models/standard.ckpt'))).toBe(true);
  });

  test('corrupt, foreign and missing checkpoints in the model list are refused with a visible message', async () => {
    const result = await selftest('?selftest=models&models=/fixtures/index.json');
    expect(result.error).toBeUndefined();
    const status = Object.fromEntries((result.models as Array<{ id: string; status: string; error: string | null }>).map((m) => [m.id, m]));
    expect(status.good.status).toBe('ready');
    expect(status.corrupt.error).toMatch(/CRC-32|checksum/i);
    expect(status.foreign.error).toMatch(/no model is registered as 'resnet-cifar10'/);
    expect(status['not-a-checkpoint'].error).toMatch(/not an advgrad checkpoint/);
    expect(status.missing.error).toMatch(/HTTP 404/);
    for (const id of ['corrupt', 'foreign', 'not-a-checkpoint', 'missing']) {
      expect(status[id].status, id).toBe('refused');
      expect(result.notices!.some((n) => n.includes(status[id].error!)), `a notice shows why ${id} was refused`).toBe(true);
    }
    const options = result.options as Array<{ value: string; disabled: boolean }>;
    expect(options.filter((o) => o.disabled).map((o) => o.value).sort()).toEqual(['corrupt', 'foreign', 'missing', 'not-a-checkpoint']);
    expect(result.prediction).toMatch(/a 7: the model says 7/); // the good model still works
  });

  test('a browser without Web Workers gets a plain message', async () => {
    const result = await selftest('?selftest&noworker');
    expect(result.error).toBeUndefined();
    expect(result.appHidden).toBe(true);
    expect(result.notices!.join(' ')).toMatch(/needs Web Workers/);
  });

  test('the server answered every request of the page (no 404 outside the missing fixture)', () => {
    const failed = requests.filter((r) => r.status !== 200 && r.url !== '/fixtures/missing.ckpt');
    expect(failed).toEqual([]);
  });
});

/** Runs the page at `query` in headless Chromium and returns the selftest's JSON. */
function selftest(query: string, screenshot?: string): Promise<SelftestResult> {
  return runSelftest(server.url, query, { dir, screenshot });
}

/** What advgrad computes in Node for a model of web/models on test image `index` (or on `pixels`). */
function inNode(modelId: string, index: number | null, spec: AttackSpec, seedIndex: number, pixels?: Float32Array): { label: number; clean: number[]; adv: number[] } {
  const checkpoint = loadCheckpoint(join(WEB, `models/${modelId}.ckpt`));
  const model = createModel(checkpoint.architecture);
  restoreModel(model, checkpoint);
  const mean = checkpoint.meanImage!;
  let image: Tensor;
  let label: number | null = null;
  if (index !== null) {
    const test = mnistTest();
    image = new Tensor(test.images.data.slice(index * 784, (index + 1) * 784), [1, 1, 28, 28]);
    label = test.labels[index];
  } else image = new Tensor(pixels!, [1, 1, 28, 28]);
  const x = subtractMean(image, mean);
  const probs = (input: Tensor): number[] => Array.from(noGrad(() => softmaxForward(model.forward(new Variable(input)).value)).data);
  const clean = probs(x);
  const y = label ?? clean.indexOf(Math.max(...clean));
  const xAdv = runAttack(model, x, [y], { ...spec, mean } as AttackSpec, seedIndex);
  return { label: y, clean, adv: probs(xAdv) };
}

let testSet: Dataset | undefined;
/** The largest |page − Node| over every probability compared (printed at the end). */
let largestDifference = 0;

/** MNIST's 10,000 test images and labels, read once. */
function mnistTest(): Dataset {
  const dir = defaultMnistDir();
  testSet ??= loadIdxDataset(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
  return testSet;
}

function expectSameScores(shown: Snapshot, node: { label: number; clean: number[]; adv: number[] }): void {
  expect(shown.label).toBe(node.label);
  expect(shown.clean.predicted).toBe(node.clean.indexOf(Math.max(...node.clean)));
  expect(shown.adv.predicted).toBe(node.adv.indexOf(Math.max(...node.adv)));
  for (let k = 0; k < 10; k++) {
    expect(Math.abs(shown.clean.probs[k] - node.clean[k]), `clean p[${k}]`).toBeLessThan(TOLERANCE);
    expect(Math.abs(shown.adv.probs[k] - node.adv[k]), `adversarial p[${k}]`).toBeLessThan(TOLERANCE);
    largestDifference = Math.max(largestDifference, Math.abs(shown.clean.probs[k] - node.clean[k]), Math.abs(shown.adv.probs[k] - node.adv[k]));
  }
}

/**
 * A model list with one good model and four bad files: a checkpoint with one flipped byte, a valid
 * checkpoint of an architecture advgrad does not know, a file that is no checkpoint, and a file
 * that does not exist.
 */
function writeFixtures(fixtures: string): void {
  mkdirSync(fixtures, { recursive: true });
  const good = readFileSync(join(WEB, 'models/standard.ckpt'));
  const corrupt = Uint8Array.from(good);
  corrupt[corrupt.length - 100] ^= 0x40; // a weight's bit: only the checksum can notice
  writeFileSync(join(fixtures, 'corrupt.ckpt'), corrupt);
  writeFileSync(join(fixtures, 'foreign.ckpt'), encodeCheckpoint({
    architecture: 'resnet-cifar10', params: [['conv1.weight', new Tensor(new Float32Array(3 * 3 * 3 * 16), [16, 3, 3, 3])]],
    meanImage: new Tensor(new Float32Array(784), [1, 1, 28, 28]), config: {}, metrics: null, epoch: 1, optimizer: null,
  }));
  copyFileSync(join(ROOT, 'docs/results/default/examples.png'), join(fixtures, 'not-a-checkpoint.ckpt'));
  const models = [
    { id: 'good', name: 'standard', file: '../models/standard.ckpt' },
    { id: 'corrupt', name: 'corrupt', file: 'corrupt.ckpt' },
    { id: 'foreign', name: 'foreign', file: 'foreign.ckpt' },
    { id: 'not-a-checkpoint', name: 'a PNG', file: 'not-a-checkpoint.ckpt' },
    { id: 'missing', name: 'missing', file: 'missing.ckpt' },
  ];
  writeFileSync(join(fixtures, 'index.json'), JSON.stringify({ models: models.map((m) => ({ ...m, curves: null })) }));
}
