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
//     { type: 'resources' }
//         list every URL the worker fetched (the selftest checks that all are local).
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
//     { type: 'error', seq, message }                          the request failed
//     { type: 'resources', names }                             the worker's URLs (Resource Timing)
import {
  backward, createModel, decodeCheckpoint, noGrad, restoreModel, runAttack, softmaxCrossEntropy,
  softmaxForward, subtractMean, Tensor, Variable,
} from './lib/advgrad/index.js';

/** id → { model, mean: Tensor [1,1,28,28] } for each model that loaded. */
const models = new Map();

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === 'load-model') {
    self.postMessage(await loadModel(message.id, message.url));
  } else if (message.type === 'resources') {
    // The worker's own fetches (the library, the checkpoints) are in its timeline, not the page's.
    self.postMessage({ type: 'resources', names: [self.location.href, ...performance.getEntriesByType('resource').map((e) => e.name)] });
  } else if (message.type === 'attack') {
    try {
      self.postMessage(attack(message));
    } catch (error) {
      self.postMessage({ type: 'error', seq: message.seq, message: error instanceof Error ? error.message : String(error) });
    }
  }
};

/** Fetches, checks and installs one model; answers with what was loaded or why it was refused. */
async function loadModel(id, url) {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
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

  /** @type {import('./lib/advgrad/index.js').AttackSpec} */
  const spec = options.name === 'pgd'
    // earlyStop off: PGD runs all its steps and returns its strongest fooling iterate, so the
    // picture shows the full attack (not the first iterate that crossed the boundary) and the
    // time per update does not depend on the image.
    ? { attack: 'pgd', eps: options.eps, steps: options.steps, clip: options.clip, mean, earlyStop: false, seed: 0 }
    : { attack: 'fgsm', eps: options.eps, clip: options.clip, mean };
  const attackStart = performance.now();
  const xAdv = runAttack(model, x, [y], spec, index ?? 0); // [1,1,28,28]
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

function argmax(values) {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

self.postMessage({ type: 'ready' });
