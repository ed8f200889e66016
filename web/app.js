// @ts-check
// The playground's page: controls, state, and the conversation with the worker (worker.js, whose
// header documents the messages). The page computes nothing itself; it asks the worker for one
// update at a time and draws the answer (render.js).
//
// URL parameters: ?models=URL an alternative model list (the tests use one with broken files);
// ?image=N, ?model=ID, ?attack=fgsm|pgd, ?steps=N, ?eps=E set the first state (screenshots);
// ?selftest runs selftest.js, which drives these controls and writes a JSON result into the page.
import { parseIdx } from './lib/advgrad/io/idx.js';
import { createPad } from './pad.js';
import { clearCanvas, drawCurves, paintBars, paintGrey, paintSigned } from './render.js';
import { initTrainPanel } from './train.js';

/**
 * The page's element with this id. The page looks its elements up by id and uses them as what
 * they are (inputs, selects, canvases), so the type is the union of those uses; a wrong property
 * name is still an error.
 * @param {string} id
 * @returns {HTMLInputElement & HTMLSelectElement & HTMLCanvasElement}
 */
const $ = (id) => /** @type {any} */ (document.getElementById(id));
const params = new URLSearchParams(location.search);

/** Everything an update depends on; the controls write it, `requestUpdate` reads it. */
const state = {
  source: 'test', // 'test' | 'draw'
  imageIndex: 0,
  modelId: null,
  attack: 'fgsm',
  steps: 40,
  eps: 0.1,
  clip: false,
};

const page = {
  worker: null,
  models: [], // [{ id, name, file, url, curves, about, status: 'loading' | 'ready' | 'refused', error, info }]
  test: null, // { images: Uint8Array (N·784), labels: Uint8Array, count }
  pad: null,
  // One attack in flight at most: a slider drag fires many input events, and answering each would
  // queue seconds of PGD behind the thumb. `dirty` remembers that the state moved meanwhile, and
  // the newest state is sent when the answer arrives.
  inFlight: null, // { seq, sentAt, kind }
  dirty: false,
  seq: 0,
  last: null, // the last result drawn, with the request it answered
  bracket: null, // the last bracket (worker.js): { key, radius, foolingEps, … } or { key, error }
  brackets: new Map(), // every bracket computed, by key: going back to an image costs nothing
  listeners: new Set(), // selftest hooks: called with every result / status change
  moveEpsMarker: /** @type {(eps: number) => void} */ (() => {}),
};

export { state, page, $ };

// `chromium --headless --dump-dom` and `--screenshot` act when the page's load event has fired,
// and a Web Worker answers long after it. A child document left open (document.open() without
// close()) keeps the page loading, so in ?selftest mode the page holds its load event until the
// selftest has written its result (selftest.js calls page.releaseLoad()). It must be taken now,
// while the module first runs, before the load event can fire.
if (params.has('selftest')) page.releaseLoad = holdLoadEvent();

main();

function holdLoadEvent() {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  document.body.append(frame);
  frame.contentDocument.open();
  return () => frame.contentDocument.close();
}

async function main() {
  // A browser without Web Workers (or ?noworker, which hides them to test this message) gets a
  // plain explanation instead of a page that would hang.
  if (params.has('noworker')) delete window.Worker;
  if (typeof Worker === 'undefined') {
    notice('This page needs Web Workers, and this browser does not provide them: the attacks run in a worker so that the page never freezes. Open it in a current Firefox, Chrome, Edge or Safari.', 'fatal');
    $('app').hidden = true;
    await maybeSelftest();
    return;
  }
  readUrlState();
  wireControls();
  page.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  page.worker.onmessage = (event) => onWorkerMessage(event.data);
  page.worker.onerror = (event) => notice(`The worker failed to start: ${event.message ?? 'unknown error'} (the page needs a browser with module workers).`, 'fatal');
  initTrainPanel({ $, page, notice, addModel, addCurves });
  await Promise.all([loadTestImages(), loadModelList(), loadCurves()]);
  renderControls();
  requestUpdate();
  await maybeSelftest();
}

async function maybeSelftest() {
  if (!params.has('selftest')) return;
  const { runSelftest } = await import('./selftest.js');
  await runSelftest(params.get('selftest') || 'full');
}

// ---------------------------------------------------------------------------------------------
// Loading

async function loadTestImages() {
  const fetchBytes = async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (run npm run demo, which builds it)`);
    return new Uint8Array(await response.arrayBuffer());
  };
  try {
    const [images, labels] = await Promise.all([fetchBytes('data/test-images.idx'), fetchBytes('data/test-labels.idx')]);
    const x = parseIdx(images, 'data/test-images.idx', { rank: 3 });
    const y = parseIdx(labels, 'data/test-labels.idx', { rank: 1 });
    page.test = { images: x.data, labels: y.data, count: Math.min(x.dims[0], y.dims[0]) };
    $('image-index').max = String(page.test.count - 1);
    paintGallery();
  } catch (error) {
    notice(`The MNIST test images could not be loaded: ${error.message}. You can still draw a digit.`);
    setSource('draw');
  }
}

async function loadModelList() {
  const listUrl = new URL(params.get('models') ?? 'models/index.json', location.href);
  let list;
  try {
    const response = await fetch(listUrl);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    list = await response.json();
    if (!Array.isArray(list.models)) throw new Error('it has no "models" list');
  } catch (error) {
    notice(`The model list ${listUrl.pathname} could not be read: ${error.message}.`, 'fatal');
    return;
  }
  page.models = list.models.map((m) => ({
    id: String(m.id), name: String(m.name ?? m.id), file: String(m.file), url: new URL(m.file, listUrl).href,
    curves: m.curves ?? null, about: m.about ?? '', status: 'loading', error: null, info: null,
  }));
  // All models load in the worker at once; each answer arrives as a 'model' message.
  await Promise.all(page.models.map((m) => new Promise((resolve) => {
    m.resolveLoad = resolve;
    page.worker.postMessage({ type: 'load-model', id: m.id, url: m.url });
  })));
}

/**
 * A model the page holds as checkpoint bytes (trained in the train panel) joins the list: the
 * worker loads it as it loads the shipped ones, and it can then be chosen and attacked.
 * @param {{ id: string, name: string, about: string, curves: string | null }} entry
 * @param {Uint8Array} bytes an advgrad checkpoint
 */
function addModel(entry, bytes) {
  const m = { ...entry, file: `${entry.id}.ckpt`, url: `trained:${entry.id}`, status: 'loading', error: null, info: null, resolveLoad: null };
  page.models.push(m);
  renderControls();
  return new Promise((resolve) => {
    m.resolveLoad = resolve;
    page.worker.postMessage({ type: 'load-model', id: m.id, url: m.url, bytes });
  });
}

/** Accuracy-against-ε curves of a trained model (key: its `curves`), drawn beside the shipped ones. */
function addCurves(key, curves) {
  page.curves ??= { sources: [], models: {} };
  page.curves.models[key] = curves;
  page.curvesDrawn = false;
  renderControls();
}

async function loadCurves() {
  try {
    const response = await fetch('data/curves.json');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    page.curves = await response.json();
  } catch (error) {
    page.curves = null;
    $('curves-note').textContent = `The robustness curves could not be loaded (${error.message}); npm run demo builds them.`;
  }
}

// ---------------------------------------------------------------------------------------------
// The worker

function onWorkerMessage(message) {
  if (message.type === 'model') {
    const m = page.models.find((model) => model.id === message.id);
    if (m === undefined) return;
    m.status = message.ok ? 'ready' : 'refused';
    m.info = message.info ?? null;
    m.error = message.error ?? null;
    if (!message.ok) notice(`Model “${m.name}” (${m.file}) was refused: ${message.error}`);
    m.resolveLoad?.();
    renderControls();
  } else if (message.type === 'result' || message.type === 'error' || message.type === 'bracket') {
    const request = page.inFlight;
    page.inFlight = null;
    if (request.kind === 'bracket') {
      page.bracket = message.type === 'bracket' ? { ...message, key: request.key } : { key: request.key, error: message.message };
      page.brackets.set(request.key, page.bracket);
      drawBracket();
    } else if (message.type === 'error') notice(`The update failed: ${message.message}`);
    else {
      page.last = { ...message, request, roundTripMs: performance.now() - request.sentAt };
      drawResult(page.last);
    }
    for (const listener of page.listeners) listener(message);
    // The bracket costs a few attacks: it is asked for only once the page is idle, so that a
    // slider drag is never queued behind it, and only when the image, model or attack changed.
    if (page.dirty) requestUpdate();
    else requestBracket();
  }
}

/** What a bracket depends on: everything of a request except ε. */
function bracketKey(request) {
  let hash = 0;
  for (const v of request.pixels) hash = (hash * 31 + Math.round(v)) >>> 0;
  const { name, steps, clip } = request.attack;
  return `${request.modelId}|${request.label}|${request.index}|${hash}|${name}|${name === 'pgd' ? steps : ''}|${clip}`;
}

/** Asks the worker to bracket the image last drawn, unless that bracket is known already. */
function requestBracket() {
  const request = page.last?.request;
  if (request === undefined || page.inFlight !== null) return;
  const key = bracketKey(request);
  if (page.brackets.has(key)) {
    page.bracket = page.brackets.get(key);
    drawBracket();
    return;
  }
  const seq = ++page.seq;
  const attack = { name: request.attack.name, steps: request.attack.steps, clip: request.attack.clip };
  page.inFlight = { seq, sentAt: performance.now(), kind: 'bracket', key };
  page.worker.postMessage({ type: 'bracket', seq, modelId: request.modelId, pixels: request.pixels, label: request.label, index: request.index, attack });
}

/** The 28×28 input of the current state (grey levels), its true label (or null), and its test index. */
function currentInput() {
  if (state.source === 'draw') {
    const pixels = page.pad?.pixels() ?? null;
    return pixels === null ? null : { pixels, label: null, index: 0 };
  }
  if (page.test === null) return null;
  const i = state.imageIndex;
  return { pixels: Float32Array.from(page.test.images.subarray(i * 784, (i + 1) * 784)), label: page.test.labels[i], index: i };
}

/** Sends the current state to the worker, or marks it dirty when an update is in flight. */
function requestUpdate() {
  const model = page.models.find((m) => m.id === state.modelId);
  const input = currentInput();
  if (page.inFlight !== null) {
    page.dirty = true;
    return;
  }
  page.dirty = false;
  if (input === null) {
    // An empty pad: a network always answers something, but there is nothing to classify.
    showEmpty(state.source === 'draw' ? 'draw a digit' : 'no test images');
    return;
  }
  if (model === undefined || model.status !== 'ready') {
    showEmpty(model?.status === 'loading' ? 'loading the model…' : 'choose a model that loaded');
    paintGrey($('view-x'), input.pixels);
    return;
  }
  paintGrey($('view-x'), input.pixels);
  const seq = ++page.seq;
  const attack = { name: state.attack, eps: state.eps, steps: state.steps, clip: state.clip };
  page.inFlight = { seq, sentAt: performance.now(), kind: 'attack', attack, modelId: model.id, source: state.source, index: input.index, label: input.label, pixels: input.pixels };
  page.worker.postMessage({ type: 'attack', seq, modelId: model.id, pixels: input.pixels, label: input.label, index: input.index, attack });
}

// ---------------------------------------------------------------------------------------------
// Drawing

function drawResult(r) {
  const radius = r.request.attack.eps * 255;
  paintSigned($('view-eta'), r.eta, radius);
  $('eta-scale').textContent = `(±${radius.toFixed(1)})`;
  paintGrey($('view-adv'), r.xAdv);
  let outside = 0;
  for (const v of r.xAdv) if (v < 0 || v > 255) outside++;
  $('adv-note').textContent = outside > 0 ? `(${outside} pixels outside 0..255, shown clamped)` : '';
  let gmax = 0;
  for (const g of r.grad) gmax = Math.max(gmax, Math.abs(g));
  paintSigned($('view-grad'), r.grad, gmax);
  $('grad-scale').textContent = `(±${gmax.toPrecision(2)})`;
  const label = r.request.label ?? -1;
  paintBars($('bars-clean'), r.clean.probs, { predicted: r.clean.predicted, label });
  paintBars($('bars-adv'), r.adv.probs, { predicted: r.adv.predicted, label });
  const pct = (p) => `${(100 * p).toFixed(1)}%`;
  const truth = r.request.label === null ? 'your drawing' : `a ${r.request.label}`;
  const fooled = r.adv.predicted !== r.label;
  $('prediction').textContent = `${truth}: the model says ${r.clean.predicted} (${pct(r.clean.probs[r.clean.predicted])}); ` +
    `after the attack, ${r.adv.predicted} (${pct(r.adv.probs[r.adv.predicted])})${fooled ? ' — fooled' : ' — not fooled'}.`;
  $('prediction').dataset.state = fooled ? 'fooled' : 'held';
  const name = r.request.attack.name === 'pgd' ? `PGD-${r.request.attack.steps}` : 'FGSM';
  $('timing').textContent = `${name} update: ${r.ms.attack.toFixed(0)} ms for the attack, ${r.ms.total.toFixed(0)} ms in the worker in all, ${r.roundTripMs.toFixed(0)} ms round trip.`;
  drawBracket();
}

/** The bracket of the image drawn: the certified radius beside the smallest fooling ε. */
function drawBracket() {
  const element = $('bracket');
  const request = page.last?.request;
  const b = page.bracket;
  if (request === undefined || b === null || b.key !== bracketKey(request)) {
    element.textContent = request === undefined ? '' : 'certified radius and smallest fooling ε: computing…';
    element.dataset.state = 'pending';
    return;
  }
  if (b.error !== undefined) {
    element.textContent = `The certified radius could not be computed: ${b.error}`;
    element.dataset.state = 'error';
    return;
  }
  const eps = (e) => `ε = ${e.toFixed(4)} (${(e * 255).toFixed(1)} grey levels)`;
  const name = request.attack.name === 'pgd' ? `PGD-${request.attack.steps}` : 'FGSM';
  const certified = b.radius > 0
    ? `Certified (CROWN): no attack within ${eps(b.radius)} can change the prediction.`
    : 'Not certified at any ε (CROWN)' + (b.foolingEps === 0 ? ': the clean image is already misclassified.' : '.');
  const fooled = b.foolingEps === null ? `${name} does not fool it up to ε = 0.5.` : b.foolingEps === 0 ? '' : `${name} first fools it at ${eps(b.foolingEps)}.`;
  element.textContent = `${certified} ${fooled} The true robustness of this image lies between the two.`;
  element.dataset.state = 'ready';
}

/** Blank views with a message instead of a prediction. */
function showEmpty(text) {
  page.last = null;
  for (const id of ['view-x', 'view-eta', 'view-adv', 'view-grad']) clearCanvas($(id));
  paintBars($('bars-clean'), null);
  paintBars($('bars-adv'), null);
  $('prediction').textContent = text;
  $('prediction').dataset.state = 'empty';
  $('timing').textContent = '';
  drawBracket();
  for (const listener of page.listeners) listener({ type: 'empty', text });
}

function paintGallery() {
  const canvas = $('gallery');
  const ctx = canvas.getContext('2d');
  const columns = canvas.width / 28;
  const rows = canvas.height / 28;
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let n = 0; n < Math.min(page.test.count, columns * rows); n++) {
    const ox = (n % columns) * 28, oy = Math.floor(n / columns) * 28;
    for (let p = 0; p < 784; p++) {
      const v = page.test.images[n * 784 + p];
      image.data.set([v, v, v, 255], ((oy + Math.floor(p / 28)) * canvas.width + ox + (p % 28)) * 4);
    }
  }
  ctx.putImageData(image, 0, 0);
  // The selected image gets a frame.
  const n = state.imageIndex;
  ctx.strokeStyle = '#f5a623';
  ctx.lineWidth = 2;
  ctx.strokeRect((n % columns) * 28 + 1, Math.floor(n / columns) * 28 + 1, 26, 26);
}

function renderControls() {
  const select = $('model');
  select.replaceChildren(...page.models.map((m) => {
    const option = document.createElement('option');
    option.value = m.id;
    option.textContent = m.status === 'ready' ? m.name : `${m.name} (${m.status === 'loading' ? 'loading…' : 'refused'})`;
    option.disabled = m.status === 'refused';
    return option;
  }));
  // Keep the chosen model if it loaded; otherwise the first that did.
  const chosen = page.models.find((m) => m.id === state.modelId && m.status !== 'refused') ?? page.models.find((m) => m.status === 'ready');
  if (chosen !== undefined && chosen.id !== state.modelId) {
    state.modelId = chosen.id;
    requestUpdate();
  }
  if (chosen !== undefined) select.value = chosen.id;
  $('model-about').textContent = chosen?.about ?? '';
  $('eps').value = String(state.eps);
  $('eps-value').textContent = `ε = ${state.eps.toFixed(3)} = ${(state.eps * 255).toFixed(2)} grey levels of 255`;
  $('steps').value = String(state.steps);
  for (const radio of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name=attack]'))) radio.checked = radio.value === state.attack;
  $('clip').checked = state.clip;
  if (page.test !== null) {
    $('image-index').value = String(state.imageIndex);
    $('image-label').textContent = `label ${page.test.labels[state.imageIndex]}`;
  }
  renderCurves();
}

function renderCurves() {
  if (!page.curves || page.curvesDrawn) {
    page.moveEpsMarker(state.eps);
    return;
  }
  const series = [];
  const missing = [];
  page.models.forEach((m, i) => {
    const c = m.curves === null ? undefined : page.curves.models?.[m.curves];
    if (c === undefined) missing.push(m.name);
    else series.push({ name: m.name, colourIndex: i, fgsm: c.fgsm, pgd: c.pgd });
  });
  if (page.models.length === 0) return;
  page.moveEpsMarker = drawCurves($('curves'), series);
  page.curvesDrawn = true;
  page.moveEpsMarker(state.eps);
  const counts = [...new Set(series.map((s) => page.curves.models[page.models[s.colourIndex].curves].count))];
  $('curves-note').textContent = `Accuracy on the first ${counts.join(' / ')} MNIST test images (${page.curves.sources.join(', ')}), no clipping. ` +
    (missing.length > 0 ? `No curve has been measured for: ${missing.join(', ')}.` : '');
}

// ---------------------------------------------------------------------------------------------
// Controls

function readUrlState() {
  const number = (name) => (params.has(name) ? Number(params.get(name)) : undefined);
  if (Number.isInteger(number('image')) && number('image') >= 0) state.imageIndex = number('image');
  if (params.has('model')) state.modelId = params.get('model');
  if (params.get('attack') === 'pgd' || params.get('attack') === 'fgsm') state.attack = params.get('attack');
  if (Number.isInteger(number('steps')) && number('steps') >= 1) state.steps = number('steps');
  const eps = number('eps');
  if (eps !== undefined && eps >= 0 && eps <= 0.5) state.eps = eps;
  if (params.get('source') === 'draw') state.source = 'draw';
}

function wireControls() {
  const changed = () => {
    renderControls();
    requestUpdate();
  };
  $('eps').addEventListener('input', () => {
    state.eps = Number($('eps').value);
    changed();
  });
  $('model').addEventListener('change', () => {
    state.modelId = $('model').value;
    changed();
  });
  for (const radio of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name=attack]'))) {
    radio.addEventListener('change', () => {
      if (radio.checked) state.attack = radio.value;
      changed();
    });
  }
  $('steps').addEventListener('change', () => {
    state.steps = Number($('steps').value);
    state.attack = 'pgd'; // choosing steps means PGD
    changed();
  });
  $('clip').addEventListener('change', () => {
    state.clip = $('clip').checked;
    changed();
  });
  const pick = (n) => {
    if (page.test === null || !Number.isInteger(n)) return;
    state.imageIndex = Math.max(0, Math.min(page.test.count - 1, n));
    paintGallery();
    changed();
  };
  $('image-index').addEventListener('input', () => pick(Number($('image-index').value)));
  $('image-random').addEventListener('click', () => pick(Math.floor(Math.random() * (page.test?.count ?? 1))));
  $('gallery').addEventListener('click', (event) => {
    const canvas = $('gallery');
    const rect = canvas.getBoundingClientRect();
    const columns = canvas.width / 28; // thumbnails of 28×28 canvas pixels, row by row
    const column = Math.floor(((event.clientX - rect.left) / rect.width) * columns);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * (canvas.height / 28));
    pick(row * columns + column);
  });
  $('tab-test').addEventListener('click', () => setSource('test'));
  $('tab-draw').addEventListener('click', () => setSource('draw'));
  page.pad = createPad($('pad'), () => {
    if (state.source === 'draw') requestUpdate();
  });
  $('pad-clear').addEventListener('click', () => page.pad.clear());
  if (state.source === 'draw') setSource('draw');
}

function setSource(source) {
  state.source = source;
  $('tab-test').setAttribute('aria-selected', String(source === 'test'));
  $('tab-draw').setAttribute('aria-selected', String(source === 'draw'));
  $('pane-test').hidden = source !== 'test';
  $('pane-draw').hidden = source !== 'draw';
  requestUpdate();
}

/** A visible message; 'fatal' ones are styled as such. */
function notice(text, level = 'warning') {
  const p = document.createElement('p');
  p.className = `notice ${level}`;
  p.textContent = text;
  $('notices').append(p);
}
