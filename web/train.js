// @ts-check
// The train panel: its controls, and the conversation with the training worker (train-worker.js,
// whose header documents the messages). Every finished run's model (the last finished epoch)
// joins the page's models: attackable in the panels above, its accuracy-against-ε curves drawn
// beside the shipped models', and downloadable as an advgrad checkpoint.
import { drawTraining } from './render.js';

/** How often and on what the live accuracies are measured (the first test images of the page). */
export const LIVE = { evalCount: 100, evalSteps: 10 };
/** The trained model's curves: PGD-40 as the shipped curves, on the first test images. */
export const CURVES = { count: 100, steps: 40, eps: [0, 0.1, 0.2, 0.25, 0.3, 0.5] };
const NAMES = { standard: 'standard', fgsm: 'FGSM-trained', pgd: 'PGD-7-trained' };

/** The panel's state; selftest.js reads it. */
export const trainer = {
  worker: null,
  served: 0, // training images the page serves (0 until they load)
  status: 'loading', // 'loading' | 'unavailable' | 'idle' | 'running' | 'paused' | 'measuring'
  run: null, // { config, losses: [{ imagesDone, loss }], evals: [...], imagesTotal, batches, checkpoint, epochs, last }
  runs: 0,
  trained: [], // { id, name, checkpoint: Uint8Array, final, config }
  listeners: new Set(), // selftest hooks: called with every message
};

let api = null;

/**
 * Starts the training worker and wires the panel's controls.
 * @param {{ $: (id: string) => any, page: any, notice: (text: string, level?: string) => void,
 *   addModel: (entry: any, bytes: Uint8Array) => Promise<unknown>, addCurves: (key: string, curves: any) => void }} pageApi
 */
export function initTrainPanel(pageApi) {
  api = pageApi;
  const { $ } = api;
  trainer.worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  trainer.worker.onmessage = (event) => onMessage(event.data);
  trainer.worker.onerror = (event) => unavailable(`The training worker failed to start: ${event.message ?? 'unknown error'}.`);
  $('train-start').addEventListener('click', start);
  $('train-pause').addEventListener('click', () => trainer.worker.postMessage({ type: trainer.status === 'paused' ? 'resume' : 'pause' }));
  $('train-stop').addEventListener('click', () => trainer.worker.postMessage({ type: 'stop' }));
  $('train-download').addEventListener('click', () => {
    const last = trainer.trained[trainer.trained.length - 1];
    if (last === undefined) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(checkpointBlob(last));
    a.download = `${last.id}.ckpt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  $('train-workers').textContent = workersLine();
  renderButtons();
}

/**
 * How many workers train, and why: one. SharedArrayBuffer, which a data-parallel engine over
 * several Web Workers needs, exists only in a cross-origin isolated page.
 */
export function workersLine() {
  const cores = navigator.hardwareConcurrency ?? 1;
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') {
    return `Training uses one Web Worker: SharedArrayBuffer is unavailable because this page is not cross-origin isolated ` +
      `(its server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as npm run demo does).`;
  }
  return `Training uses one Web Worker of the ${cores} cores this browser reports: the page is cross-origin isolated (SharedArrayBuffer is available), ` +
    `but training over several workers is not built yet.`;
}

/** The file the download button saves: the trained model's advgrad checkpoint. */
export function checkpointBlob(trained) {
  return new Blob([trained.checkpoint], { type: 'application/octet-stream' });
}

/** The run's settings, read from the panel's controls. */
function readConfig() {
  const { $ } = api;
  const schedule = $('train-schedule').value;
  return {
    schedule, eps: Number($('train-eps').value), images: Number($('train-images').value), epochs: Number($('train-epochs').value),
    batchSize: Number($('train-batch').value), seed: 0, evalCount: LIVE.evalCount, evalSteps: LIVE.evalSteps, evalEvery: 0,
    curveEps: CURVES.eps, curveCount: CURVES.count, curveSteps: CURVES.steps,
  };
}

function start() {
  if (trainer.status !== 'idle') return;
  const config = readConfig();
  trainer.run = { config, losses: [], evals: [], imagesTotal: config.images * config.epochs, batches: 0, checkpoint: null, epochs: 0, last: null };
  setStatus('running', `Starting: ${describe(config)}…`);
  trainer.worker.postMessage({ type: 'start', config });
}

function describe(config) {
  const images = `${config.images.toLocaleString('en')} images`;
  const what = config.schedule === 'standard' ? 'standard training' : config.schedule === 'fgsm' ? `FGSM training (J̃ = ½J(x) + ½J(x_adv)) at ε = ${config.eps}` : `PGD-7 training at ε = ${config.eps}, ε ramped over the first epoch`;
  return `${what}, ${images}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, batch ${config.batchSize}`;
}

function onMessage(message) {
  const { $ } = api;
  const r = trainer.run;
  switch (message.type) {
    case 'data':
      trainer.served = message.count;
      $('train-images').max = String(message.count);
      setStatus('idle', `Ready: the first ${message.count.toLocaleString('en')} MNIST training images are loaded.`);
      break;
    case 'data-error':
      unavailable(`Training is unavailable: the training images could not be loaded (${message.message}).`);
      break;
    case 'refused':
      trainer.run = null;
      setStatus('idle', `Not started: ${message.message}.`, 'error');
      break;
    case 'started':
      Object.assign(r, { imagesTotal: message.imagesTotal, batches: message.batches });
      setStatus('running', `Training: ${describe(r.config)}.`);
      break;
    case 'batch':
      r.losses.push({ imagesDone: message.imagesDone, loss: message.loss });
      r.last = message;
      showProgress(message);
      scheduleDraw();
      break;
    case 'eval':
      r.evals.push(message);
      scheduleDraw();
      break;
    case 'epoch':
      r.checkpoint = message.checkpoint;
      r.epochs = message.epoch;
      $('train-epoch-note').textContent = `Epoch ${message.epoch} done: mean loss ${message.loss.toFixed(4)}, ${message.seconds.toFixed(1)} s.`;
      break;
    case 'paused':
      setStatus('paused', 'Paused (between two steps). Resume or stop.');
      break;
    case 'resumed':
      setStatus('running', `Training: ${describe(r.config)}.`);
      break;
    case 'finished':
      void finished(message);
      break;
    case 'curves': {
      const entry = trainer.trained[trainer.trained.length - 1];
      entry.curvesDone = true;
      api.addCurves(entry.id, { count: message.count, fgsm: message.fgsm, pgd: message.pgd, pgdName: `PGD-${message.steps}` });
      if (trainer.status === 'measuring') setStatus('idle', $('train-status').textContent.replace(/ Measuring its accuracy against ε…$/, ''), $('train-status').dataset.tone);
      break;
    }
    case 'error':
      trainer.run = null;
      setStatus('idle', `Training failed: ${message.message}`, 'error');
      break;
  }
  for (const listener of trainer.listeners) listener(message);
}

/** A run ended (finished or stopped): its last finished epoch's model joins the page's models. */
async function finished(message) {
  const { $ } = api;
  const r = trainer.run;
  const stoppedText = message.stopped ? `${message.message} ` : '';
  if (message.epochs === 0 || r.checkpoint === null) {
    setStatus('idle', stoppedText || 'No epoch finished: no model is kept.', message.stopped ? 'stopped' : '');
    return;
  }
  const n = ++trainer.runs;
  const id = `trained-${n}`;
  const name = `trained here #${n} (${NAMES[r.config.schedule]})`;
  const entry = { id, name, checkpoint: r.checkpoint, final: message.final, config: r.config, epochs: message.epochs, curvesDone: false };
  trainer.trained.push(entry);
  const { count, clean, fgsm } = message.final;
  const result = `${name}: ${describe(r.config)}; kept epoch ${message.epochs}. On the page's ${count} test images: clean accuracy ${clean.toFixed(3)}, FGSM (ε = ${r.config.eps}) ${fgsm.toFixed(3)}.`;
  $('train-result').textContent = result;
  await api.addModel({ id, name, about: `${describe(r.config)}, trained in this tab (epoch ${message.epochs} kept), seed 0`, curves: id }, r.checkpoint);
  renderButtons();
  const measuring = r.config.curveEps.length > 0 && !entry.curvesDone;
  setStatus(measuring ? 'measuring' : 'idle', `${stoppedText}Done: “${name}” is in the model list above.${measuring ? ' Measuring its accuracy against ε…' : ''}`, message.stopped ? 'stopped' : '');
}

function showProgress(m) {
  const { $ } = api;
  $('train-progress').value = m.imagesDone / m.imagesTotal;
  const left = Number.isFinite(m.secondsLeft) ? `${Math.ceil(m.secondsLeft)} s left` : '';
  $('train-eta').textContent = `epoch ${m.epoch}, step ${m.batch}/${m.batches}; ${m.imagesDone.toLocaleString('en')} of ${m.imagesTotal.toLocaleString('en')} images; ` +
    `${m.imagesPerSecond.toFixed(0)} images/s; ${left}; loss ${m.loss.toFixed(3)}`;
}

let drawPending = false;
/** Redraws the charts once per frame at most, however fast the batches arrive. */
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  const draw = () => {
    drawPending = false;
    if (trainer.run !== null) drawTraining(api.$('train-charts'), trainer.run);
  };
  if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(draw);
  else setTimeout(draw, 50);
}

function setStatus(status, text, tone = '') {
  const { $ } = api;
  trainer.status = status;
  $('train-status').textContent = text;
  $('train-status').dataset.tone = tone;
  $('train-panel').dataset.status = status;
  renderButtons();
}

function unavailable(text) {
  setStatus('unavailable', text, 'error');
}

function renderButtons() {
  const { $ } = api;
  const s = trainer.status;
  $('train-start').disabled = s !== 'idle';
  $('train-pause').disabled = s !== 'running' && s !== 'paused';
  $('train-pause').textContent = s === 'paused' ? 'resume' : 'pause';
  $('train-stop').disabled = s !== 'running' && s !== 'paused';
  $('train-download').disabled = trainer.trained.length === 0;
  for (const id of ['train-schedule', 'train-eps', 'train-images', 'train-epochs', 'train-batch']) $(id).disabled = s !== 'idle';
}
