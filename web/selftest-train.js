// @ts-check
// ?selftest=train, train-fallback and train-shot: the train panel driven through its own controls
// (DOM events, as a user would), reported as JSON for test/web/train.test.ts, which checks the
// weights against advgrad's train() in Node. selftest.js runs these and writes the result.
//
//   train       refused sizes; a standard run on 2,000 images over 2 Web Workers (paused and resumed
//               in epoch 1, stopped in epoch 2, so epoch 1 is kept) and, on one worker, a 1-epoch FGSM-trained run on the same
//               images, and a PGD-7-trained one on 200, each with its checkpoint (the bytes the download button saves), its
//               accuracies, its live curves; a run stopped before epoch 1 ended; the standard
//               model attacked in the panels above and its curve among the shipped ones.
//   train-fallback  on a page served without cross-origin isolation: the workers control and its
//               line; a standard run on 100 images asked for 2 workers, which trains on one and says why.
//   train-shot  a run on 2 workers paused mid-epoch, the other panels hidden (docs/playground-train.png).
import { $, page, state } from './app.js';
import { act, setValue, until } from './selftest.js';
import { checkpointBlob, CURVES, trainer } from './train.js';

/** The settings every run here shares unless it says otherwise. */
const BASE = { schedule: 'standard', eps: '0.25', images: '2000', epochs: '1', batch: '20', workers: '1' };

export async function trainReport(mode) {
  await until(() => trainer.status === 'idle' && page.test !== null && page.models.length > 0 && page.models.every((m) => m.status !== 'loading'), 120_000);
  if (mode === 'train-shot') return screenshotState();
  if (mode === 'train-fallback') return fallbackReport();
  const out = /** @type {Record<string, any>} */ ({ served: trainer.served, isolated: self.crossOriginIsolated, ...workersControl() });
  out.refusedTooMany = await refused({ ...BASE, images: String(trainer.served + 1000) });
  out.refusedTooFew = await refused({ ...BASE, images: '50' });
  // Two epochs, paused in the first, stopped in the second: the model of epoch 1 is kept.
  out.standard = await panelRun({ ...BASE, epochs: '2', workers: '2' }, { pauseAt: 30, stopAt: { epoch: 2, batch: 5 } });
  CURVES.eps = []; // the curves of one trained model suffice here, and cost time
  out.fgsm = await panelRun({ ...BASE, schedule: 'fgsm' });
  out.pgd = await panelRun({ ...BASE, schedule: 'pgd', images: '200' }); // PGD-7 costs 8 passes an image: a small set
  out.stoppedInEpoch1 = await panelRun(BASE, { stopAt: { epoch: 1, batch: 3 } });
  // The first trained model (standard) in the attack panels: FGSM at ε = 0.25 on test image 0.
  await act(() => setValue('image-index', '0', 'input'));
  await act(() => setValue('model', 'trained-1', 'change'));
  await act(() => document.querySelector('input[name=attack][value=fgsm]').dispatchEvent(new MouseEvent('click')));
  await act(() => setValue('eps', '0.25', 'input'));
  const r = page.last;
  out.attacked = { modelId: r.modelId, eps: r.request.attack.eps, label: r.label, clean: Array.from(r.clean.probs), adv: Array.from(r.adv.probs), prediction: $('prediction').textContent };
  out.modelOptions = [...$('model').options].map((o) => ({ value: o.value, text: o.textContent, disabled: o.disabled }));
  out.curveLegend = [...document.querySelectorAll('#curves .legend-text')].map((t) => t.textContent);
  out.curvesNote = $('curves-note').textContent;
  return out;
}

/**
 * ?selftest=bench-train&images=K&batch=B&reps=R&warmup=W&workers=1,N (bench/browser-train.ts): the
 * training worker's benchmark, every timed epoch as the worker reported it.
 */
export async function benchReport() {
  await until(() => trainer.status === 'idle', 120_000);
  const q = new URLSearchParams(location.search);
  const config = {
    images: Number(q.get('images') ?? 2000), batchSize: Number(q.get('batch') ?? 100), reps: Number(q.get('reps') ?? 5), warmup: Number(q.get('warmup') ?? 1),
    workers: (q.get('workers') ?? '1').split(',').map(Number),
  };
  const reps = [];
  const collect = (m) => {
    if (m.type === 'bench-rep') reps.push(m);
  };
  trainer.listeners.add(collect);
  const end = nextMessage((m) => m.type === 'bench-done' || m.type === 'error');
  trainer.worker.postMessage({ type: 'bench', config });
  const last = await end;
  trainer.listeners.delete(collect);
  if (last.type === 'error') throw new Error(last.message);
  return { config, cores: navigator.hardwareConcurrency, isolated: self.crossOriginIsolated, userAgent: navigator.userAgent, reps };
}

/** The workers control and the line beside it, as the page shows them before any run. */
function workersControl() {
  const select = $('train-worker-count');
  return {
    cores: navigator.hardwareConcurrency, workersLine: $('train-workers').textContent,
    workerChoices: [...select.options].map((o) => o.value), workersDefault: select.value, workersDisabled: select.disabled,
  };
}

/** Without cross-origin isolation: the control and its line, then a run asked for 2 workers (the control set by script, as it is disabled). */
async function fallbackReport() {
  const out = /** @type {Record<string, any>} */ ({ isolated: self.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined', ...workersControl() });
  out.run = await panelRun({ ...BASE, images: '100', workers: '2' });
  return out;
}

/** Sets the panel's controls; clicks start; returns the status line when the worker refused. */
async function refused(settings) {
  setControls(settings);
  const reply = nextMessage((m) => m.type === 'refused' || m.type === 'started');
  $('train-start').click();
  const message = await reply;
  if (message.type !== 'refused') throw new Error(`selftest: ${settings.images} images were not refused`);
  await until(() => trainer.status === 'idle');
  return { status: $('train-status').textContent, tone: $('train-status').dataset.tone };
}

/**
 * A run through the panel: paused after step `pauseAt` of epoch 1 for half a second (no step may
 * arrive meanwhile), stopped at step `stopAt.batch` of epoch `stopAt.epoch`, or neither. Waits
 * until the worker is idle again: the kept model in the list, its curves measured.
 */
async function panelRun(settings, { pauseAt = 0, stopAt = null } = {}) {
  setControls(settings);
  const before = trainer.trained.length;
  let batches = 0;
  let pause = /** @type {any} */ (null);
  const listener = (m) => {
    if (m.type !== 'batch') return;
    batches++;
    if (m.epoch === 1 && m.batch === pauseAt && pause === null) {
      pause = { atBatch: m.batch };
      $('train-pause').click();
    }
    if (stopAt !== null && m.epoch === stopAt.epoch && m.batch === stopAt.batch) $('train-stop').click();
  };
  trainer.listeners.add(listener);
  const engine = nextMessage((m) => m.type === 'engine');
  const finished = nextMessage((m) => m.type === 'finished');
  $('train-start').click();
  if (pauseAt > 0) {
    await nextMessage((m) => m.type === 'paused');
    Object.assign(pause, { status: trainer.status, buttonText: $('train-pause').textContent });
    const seen = batches;
    await sleep(500);
    pause.batchesWhilePaused = batches - seen;
    $('train-pause').click(); // resume
  }
  const { workers, requested, reason } = await engine;
  const workersLine = $('train-workers').textContent;
  const message = await finished;
  await until(() => trainer.status === 'idle', 600_000);
  trainer.listeners.delete(listener);
  const entry = trainer.trained.length > before ? trainer.trained[trainer.trained.length - 1] : null;
  const run = trainer.run;
  return {
    engine: { workers, requested, reason }, workersLine, stopped: message.stopped, message: message.message, epochs: message.epochs, final: message.final, pause, batches,
    imagesPerSecond: run.last?.imagesPerSecond ?? null, evals: run.evals.map(({ imagesDone, clean, fgsm, pgd, count }) => ({ imagesDone, clean, fgsm, pgd, count })),
    losses: run.losses.length, charts: $('train-charts').querySelectorAll('svg').length,
    status: $('train-status').textContent, tone: $('train-status').dataset.tone, result: $('train-result').textContent,
    kept: entry === null ? null : { id: entry.id, name: entry.name, epochs: entry.epochs, checkpoint: base64(new Uint8Array(await checkpointBlob(entry).arrayBuffer())) },
  };
}

/** An FGSM-trained run of 2 epochs paused in its first epoch, after two live measurements. */
async function screenshotState() {
  setControls({ ...BASE, schedule: 'fgsm', epochs: '2', workers: '2' });
  const listener = (m) => {
    if (m.type === 'batch' && m.epoch === 1 && m.batch === 120) $('train-pause').click();
  };
  trainer.listeners.add(listener);
  $('train-start').click();
  await nextMessage((m) => m.type === 'paused');
  await until(() => trainer.run.evals.length >= 2);
  // The screenshot shows the page's header and this panel alone: headless Chromium's --screenshot
  // draws the top of the page, whatever the scroll position.
  for (const section of document.querySelectorAll('main > section')) /** @type {HTMLElement} */ (section).hidden = section.id !== 'train-panel';
  await sleep(300); // a frame for the charts
  return { status: $('train-status').textContent, eta: $('train-eta').textContent, evals: trainer.run.evals.length, state: { ...state } };
}

function setControls({ schedule, eps, images, epochs, batch, workers = '1' }) {
  setValue('train-schedule', schedule, 'change');
  setValue('train-eps', eps, 'input');
  setValue('train-images', images, 'input');
  setValue('train-epochs', epochs, 'input');
  setValue('train-batch', batch, 'change');
  // A browser reporting fewer cores than the run asks for lacks the choice: added here, so the run still tests the engine.
  const select = $('train-worker-count');
  if (![...select.options].some((o) => o.value === workers)) select.add(new Option(workers, workers));
  setValue('train-worker-count', workers, 'change');
}

/** The next message of the training worker that `match` accepts. */
function nextMessage(match) {
  return new Promise((resolve) => {
    const listener = (m) => {
      if (!match(m)) return;
      trainer.listeners.delete(listener);
      resolve(m);
    };
    trainer.listeners.add(listener);
  });
}

function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
