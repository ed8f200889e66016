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
/** advgrad's SHARDS (src/train/step.ts): a batch is cut into 4 shards, so a fifth worker would idle. */
const MAX_WORKERS = 4;

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
  const select = $('train-worker-count');
  select.replaceChildren(...Array.from({ length: maxWorkers() }, (_, i) => new Option(String(i + 1), String(i + 1))));
  select.value = String(canShare() ? maxWorkers() : 1); // every core by default, where the page can share memory
  select.addEventListener('change', () => ($('train-workers').textContent = workersLine(Number(select.value))));
  $('train-workers').textContent = workersLine(Number(select.value));
  renderButtons();
}

/** The most workers the control offers: the cores the browser reports, at most MAX_WORKERS. */
function maxWorkers() {
  return Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, MAX_WORKERS));
}

/** Whether the page can train over several workers: they share memory (SharedArrayBuffer), which only a cross-origin isolated page has. */
function canShare() {
  return self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/** Why one Web Worker trains although several were chosen: the page cannot share memory between workers. */
const NOT_ISOLATED = 'SharedArrayBuffer is unavailable because this page is not cross-origin isolated ' +
  '(its server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as npm run demo does)';

/**
 * How many Web Workers train with `chosen` in the workers control, and why: several share the
 * weights, gradients and images in SharedArrayBuffers, which exist only in a cross-origin
 * isolated page; elsewhere one worker trains, and the line says why.
 */
export function workersLine(chosen) {
  const cores = navigator.hardwareConcurrency ?? 1;
  if (!canShare()) return `Training uses one Web Worker: ${NOT_ISOLATED}.`;
  if (chosen <= 1) return `Training uses one Web Worker (of the ${cores} cores this browser reports; choose more workers to use them).`;
  return `Training uses ${chosen} Web Workers of the ${cores} cores this browser reports: each batch is cut into ${MAX_WORKERS} shards, shard s on worker s mod ${chosen}, ` +
    `sharing memory (the page is cross-origin isolated); the sums run in a fixed order, so the weights are the same bits as with one worker.`;
}

/** The line for a run, from the training worker's 'engine' message: how many workers train it, and why not more. */
function engineLine(message) {
  if (message.reason !== null) return `This run trains on one Web Worker instead of ${message.requested}: ${message.reason}.`;
  return message.workers === 1 ? 'This run trains on one Web Worker.' : `This run trains on ${message.workers} Web Workers (data-parallel, the same numbers as one).`;
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
    batchSize: Number($('train-batch').value), workers: Number($('train-worker-count').value), seed: 0, evalCount: LIVE.evalCount, evalSteps: LIVE.evalSteps, evalEvery: 0,
    curveEps: CURVES.eps, curveCount: CURVES.count, curveSteps: CURVES.steps,
  };
}

function start() {
  if (trainer.status !== 'idle') return;
  const config = readConfig();
  trainer.run = { config, losses: [], evals: [], imagesTotal: config.images * config.epochs, batches: 0, checkpoint: null, epochs: 0, last: null, workers: null };
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
    case 'engine':
      r.workers = message.workers;
      $('train-workers').textContent = engineLine(message);
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
  $('train-worker-count').disabled = s !== 'idle' || !canShare(); // one worker only, where memory cannot be shared (the line says why)
}
