// @ts-check
// The playground's Web Worker: every number the page shows is computed here, by advgrad's own
// compiled "." entry (lib/advgrad/, copied from dist/ by `npm run demo`), so that a PGD-40 attack
// never freezes the page. It is a module worker: the library is plain ES modules with `.js`
// imports, which a browser loads without a bundler.
//
// Protocol (structured-clone messages; the page never waits on more than one `attack` at a time,
// see app.js):
//
//   page → worker
//     { type: 'load-model', id, url }
//         fetch the checkpoint at `url` (same origin), decode and check it (decodeCheckpoint),
//         build the architecture it names (createModel) and copy its weights in (restoreModel).
//     { type: 'load-model', id, url, bytes }
//         the same for a checkpoint the page holds (a model trained in the train panel); url names it.
//     { type: 'resources' }
//         list every URL the worker fetched (the selftest checks that all are local).
//     { type: 'bracket', seq, modelId, pixels, label, index, attack: { name, steps, clip } }
//         the same input as `attack`, without ε: bracket this image's robustness (see bracket()).
//     { type: 'attack', seq, modelId, pixels, label, index, attack: { name, eps, steps, clip } }
//         pixels: Float32Array(784), grey levels 0..255 (0 = background), row-major 28×28.
//         label: the class the attack moves away from (the true label of a test image; for a
//         drawing, null: the model's own prediction is used). index: the MNIST test index (seeds
//         PGD's random start as the command line does for that image), or 0.
//
//   worker → page
//     { type: 'ready' }                                        the library loaded
//     { type: 'model', id, ok: true, info }                    info: architecture, epoch, parameters, bytes
//     { type: 'model', id, ok: false, error }                  the file was refused, and why
//     { type: 'result', seq, modelId, label, clean, adv, eta, grad, xAdv, ms }
//         clean, adv: { probs: Float32Array(10), predicted }
//         eta  = x_adv − x, grad = ∂L/∂x at x (L the softmax log-loss of `label`), xAdv = x_adv
//         plus the mean image (grey levels, not clipped unless attack.clip): Float32Array(784) each.
//         ms: { attack, total }: the attack alone, and the whole request, in milliseconds.
//     { type: 'bracket', seq, modelId, label, radius, foolingEps, foolsAtRadius, tolerance, method, ms }
//         radius: the largest ε at which CROWN certifies the image (no attack within it can change
//         the prediction); foolingEps: the smallest ε at which the attack fools the model (null if
//         not even at 0.5); foolsAtRadius: whether the attack at ε = radius fooled it (never, if the
//         certificate is sound). Both ε by bisection to `tolerance`; 0 and 0 for a misclassified image.
//     { type: 'error', seq, message }                          the request failed
//     { type: 'resources', names }                             the worker's URLs (Resource Timing)
import {
  backward, boundNetwork, certifiedRadius, createModel, decodeCheckpoint, noGrad, restoreModel, runAttack,
  softmaxCrossEntropy, softmaxForward, subtractMean, Tensor, Variable,
} from './lib/advgrad/index.js';

/** id → { model, mean: Tensor [1,1,28,28], net: its bound network, built on first use } for each model that loaded. */
const models = new Map();

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === 'load-model') {
    self.postMessage(await loadModel(message.id, message.url, message.bytes));
  } else if (message.type === 'resources') {
    // The worker's own fetches (the library, the checkpoints) are in its timeline, not the page's.
    self.postMessage({ type: 'resources', names: [self.location.href, ...performance.getEntriesByType('resource').map((e) => e.name)] });
  } else if (message.type === 'attack' || message.type === 'bracket') {
    try {
      self.postMessage(message.type === 'attack' ? attack(message) : bracket(message));
    } catch (error) {
      self.postMessage({ type: 'error', seq: message.seq, message: error instanceof Error ? error.message : String(error) });
    }
  }
};

/** Fetches (unless given its bytes), checks and installs one model; answers with what was loaded or why it was refused. */
async function loadModel(id, url, given) {
  try {
    let bytes = given;
    if (bytes === undefined) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
    const checkpoint = decodeCheckpoint(bytes, url); // magic, version, sizes, checksum, every tensor
    const model = createModel(checkpoint.architecture); // throws naming the known architectures
    restoreModel(model, checkpoint); // throws unless every parameter name and shape fits
    if (checkpoint.meanImage === null) throw new Error(`checkpoint ${url}: holds no mean image, so its inputs cannot be prepared`);
    // The page never trains: freezing the weights makes every backward pass compute ∂L/∂x only.
    for (const p of model.parameters()) p.requiresGrad = false;
    models.set(id, { model, mean: checkpoint.meanImage });
    const parameters = model.parameters().reduce((n, p) => n + p.value.size, 0);
    return { type: 'model', id, ok: true, info: { architecture: checkpoint.architecture, epoch: checkpoint.epoch, parameters, bytes: bytes.length } };
  } catch (error) {
    return { type: 'model', id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** One update of the page: clean prediction, ∂L/∂x, the attack, the adversarial prediction. */
function attack({ seq, modelId, pixels, label, index, attack: options }) {
  const start = performance.now();
  const entry = models.get(modelId);
  if (entry === undefined) throw new Error(`model '${modelId}' is not loaded`);
  const { model, mean } = entry;
  // The network's input: grey levels minus the training set's mean image, as in training.
  const x = subtractMean(new Tensor(Float32Array.from(pixels), [1, 1, 28, 28]), mean); // [1,1,28,28]

  // Clean pass with the input's gradient: logits, probabilities and ∂L/∂x from one forward and
  // one backward pass (the weights are frozen, so no weight gradient is computed).
  const xv = new Variable(x, { requiresGrad: true });
  const logits = model.forward(xv); // [1, 10]
  const cleanProbs = softmaxForward(logits.value).data; // [10]
  const predicted = argmax(cleanProbs);
  const y = label ?? predicted; // a drawing has no true label: attack the model's own answer
  backward(softmaxCrossEntropy(logits, [y]));
  const grad = xv.grad.data; // [784] ∂L/∂x

  const attackStart = performance.now();
  const xAdv = runAttack(model, x, [y], attackSpec(options, options.eps, mean), index ?? 0); // [1,1,28,28]
  const attackMs = performance.now() - attackStart;
  const advProbs = noGrad(() => softmaxForward(model.forward(new Variable(xAdv)).value)).data; // [10]

  const eta = new Float32Array(784);
  const shown = new Float32Array(784);
  for (let i = 0; i < 784; i++) {
    eta[i] = xAdv.data[i] - x.data[i];
    shown[i] = xAdv.data[i] + mean.data[i];
  }
  return {
    type: 'result', seq, modelId, label: y,
    clean: { probs: Float32Array.from(cleanProbs), predicted },
    adv: { probs: Float32Array.from(advProbs), predicted: argmax(advProbs) },
    eta, grad: Float32Array.from(grad), xAdv: shown,
    ms: { attack: attackMs, total: performance.now() - start },
  };
}

/**
 * The attack the page shows, at ε. earlyStop off (the picture): PGD runs all its steps and returns
 * its strongest fooling iterate, so the picture shows the full attack (not the first iterate that
 * crossed the boundary) and the time per update does not depend on the image. earlyStop on (the
 * bracket, which only asks whether it fools): the same verdict, since a fooling iterate is always
 * returned when there is one, found sooner.
 */
function attackSpec(options, eps, mean, earlyStop = false) {
  /** @type {import('./lib/advgrad/index.js').AttackSpec} */
  const spec = options.name === 'pgd'
    ? { attack: 'pgd', eps, steps: options.steps, clip: options.clip, mean, earlyStop, seed: 0 }
    : { attack: 'fgsm', eps, clip: options.clip, mean };
  return spec;
}

/** Bisection stops when the bracket is this narrow (the ε slider's step). */
const BRACKET_TOLERANCE = 0.005;
/** The largest ε the page offers. */
const BRACKET_MAX_EPS = 0.5;

/**
 * Both ends of the image's robustness: the certified radius (CROWN, with the same clip as the
 * attack) is a lower bound of the smallest ε at which any attack can fool the model, and the
 * smallest ε at which this attack fools it is an upper bound. The attack's bisection starts
 * from 0, not from the radius, so that radius ≤ foolingEps is a check, not a construction.
 */
function bracket({ seq, modelId, pixels, label, index, attack: options }) {
  const start = performance.now();
  const entry = models.get(modelId);
  if (entry === undefined) throw new Error(`model '${modelId}' is not loaded`);
  const { model, mean } = entry;
  entry.net ??= boundNetwork(model, [1, 28, 28]);
  const x = subtractMean(new Tensor(Float32Array.from(pixels), [1, 1, 28, 28]), mean); // [1,1,28,28]
  const predict = (input) => argmax(noGrad(() => model.forward(new Variable(input)).value).data);
  const predicted = predict(x);
  const y = label ?? predicted;
  const done = (radius, foolingEps, foolsAtRadius) => ({
    type: 'bracket', seq, modelId, label: y, radius, foolingEps, foolsAtRadius, tolerance: BRACKET_TOLERANCE, method: 'crown', ms: performance.now() - start,
  });
  if (predicted !== y) return done(0, 0, true); // fooled before any attack
  const { radius } = certifiedRadius(entry.net, x, [y], { method: 'crown', clip: options.clip, mean, maxEps: BRACKET_MAX_EPS, tolerance: BRACKET_TOLERANCE / 5 });
  const fools = (eps) => predict(runAttack(model, x, [y], attackSpec(options, eps, mean, true), index ?? 0)) !== y;
  const foolsAtRadius = radius[0] > 0 && fools(radius[0]);
  if (!fools(BRACKET_MAX_EPS)) return done(radius[0], null, foolsAtRadius);
  let lo = 0;
  let hi = BRACKET_MAX_EPS;
  while (hi - lo > BRACKET_TOLERANCE) {
    const mid = 0.5 * (lo + hi);
    if (fools(mid)) hi = mid;
    else lo = mid;
  }
  return done(radius[0], hi, foolsAtRadius);
}

function argmax(values) {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

self.postMessage({ type: 'ready' });
