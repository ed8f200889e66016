// @ts-check
// ?selftest: the page drives its own controls through real DOM events (input, change, click,
// pointer events on the drawing pad), as a user would, and writes what it saw as JSON into
// <pre id="selftest-result">. test/web/playground.test.ts reads it back with
// `chromium --headless --dump-dom` and checks it against advgrad computed in Node.
//
// Modes (?selftest=MODE): full (default): the checks below and the timings; models: only wait for
// every model of the list to load or be refused (the test gives it a list with broken files);
// train, train-shot, train-fallback: the train panel (selftest-train.js); bench-train: the
// browser training benchmark (bench/browser-train.ts, its settings in the query);
// any mode with ?noworker: the page hid Worker, so only its notices are reported.
import { $, page, state } from './app.js';

export async function runSelftest(mode) {
  const result = { mode, ok: false };
  try {
    if (typeof Worker === 'undefined') Object.assign(result, { notices: notices(), appHidden: $('app').hidden });
    else if (mode === 'models') Object.assign(result, await modelsReport());
    else if (mode === 'bench-train') Object.assign(result, await (await import('./selftest-train.js')).benchReport());
    else if (mode === 'train' || mode === 'train-shot' || mode === 'train-fallback') Object.assign(result, await (await import('./selftest-train.js')).trainReport(mode));
    else Object.assign(result, await full());
    result.resources = await resources();
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? `${error.message}\n${error.stack}` : String(error);
  }
  const out = $('selftest-result');
  out.textContent = JSON.stringify(result);
  out.dataset.done = 'true';
  page.releaseLoad?.();
}

function notices() {
  return [...document.querySelectorAll('#notices .notice')].map((p) => p.textContent);
}

async function modelsReport() {
  await until(() => page.models.length > 0 && page.models.every((m) => m.status !== 'loading'));
  await idle();
  return {
    models: page.models.map((m) => ({ id: m.id, status: m.status, error: m.error })),
    options: [...$('model').options].map((o) => ({ value: o.value, text: o.textContent, disabled: o.disabled })),
    notices: notices(),
    prediction: $('prediction').textContent,
  };
}

async function full() {
  const imageIndex = Number(new URLSearchParams(location.search).get('image') ?? 0);
  await until(() => page.test !== null && page.models.length > 0 && page.models.every((m) => m.status !== 'loading'));
  await idle();
  const out = { imageIndex, label: page.test.labels[imageIndex], checks: {} };

  // Picking a thumbnail of the gallery: the one in row 1, column 1 is test image 21.
  await act(() => clickAt($('gallery'), 28 + 14, 28 + 14));
  out.galleryPick = { index: state.imageIndex, label: $('image-label').textContent };

  // The fixed case compared with Node: this test image, the standard model, FGSM, ε from 0 to 0.25.
  await act(() => setValue('image-index', String(imageIndex), 'input'));
  await act(() => setValue('model', 'standard', 'change'));
  await act(() => click(document.querySelector('input[name=attack][value=fgsm]')));
  await act(() => slide(0));
  out.fgsmEps0 = snapshot();
  await act(() => slide(0.25));
  out.fgsmEps025 = snapshot();
  out.bracketFgsm = bracketShown();

  // PGD-40 on the PGD-trained model at ε = 0.1 (random start seeded by the image's index).
  await act(() => setValue('model', 'pgd-trained', 'change'));
  await act(() => setValue('steps', '40', 'change'));
  await act(() => click(document.querySelector('input[name=attack][value=pgd]')));
  await act(() => slide(0.1));
  out.pgd40Eps01 = snapshot();
  out.bracketPgd40 = bracketShown();

  // Timings: medians over several updates, each a fresh ε so that it is a real update.
  await act(() => setValue('model', 'standard', 'change'));
  await act(() => click(document.querySelector('input[name=attack][value=fgsm]')));
  out.timing = { fgsm: await timeUpdates([0.2, 0.21, 0.22, 0.23, 0.24, 0.26, 0.27, 0.28, 0.29]) };
  await act(() => click(document.querySelector('input[name=attack][value=pgd]')));
  out.timing.pgd40 = await timeUpdates([0.2, 0.21, 0.22, 0.23, 0.24, 0.26, 0.27]);

  // The drawing pad: empty says so; a drawn "1" is classified; cleared says so again.
  await act(() => click($('tab-draw')));
  await act(() => click($('pad-clear')));
  out.emptyPad = { text: $('prediction').textContent, state: $('prediction').dataset.state };
  await act(() => click(document.querySelector('input[name=attack][value=fgsm]')));
  await act(() => slide(0.1));
  await act(() => stroke($('pad'), [[150, 40], [146, 100], [141, 170], [137, 240]]));
  out.drawnOne = { ...snapshot(), pixels: Array.from(page.last.request.pixels) };
  await act(() => click($('pad-clear')));
  await act(() => stroke($('pad'), [[70, 50], [210, 50], [170, 130], [130, 200], [110, 250]]));
  out.drawnSeven = { ...snapshot(), pixels: Array.from(page.last.request.pixels) };
  await act(() => click($('pad-clear')));
  out.clearedPad = { text: $('prediction').textContent, state: $('prediction').dataset.state };

  // End on the case the README shows: the test image fooled by FGSM at Goodfellow's ε = 0.25.
  await act(() => click($('tab-test')));
  await act(() => slide(0.25));
  out.notices = notices();
  return out;
}

/** What the page shows now, from the last result it drew. */
function snapshot() {
  const r = page.last;
  if (r === null) return { prediction: $('prediction').textContent, state: $('prediction').dataset.state };
  return {
    modelId: r.modelId, attack: r.request.attack, label: r.label,
    clean: { predicted: r.clean.predicted, probs: Array.from(r.clean.probs) },
    adv: { predicted: r.adv.predicted, probs: Array.from(r.adv.probs) },
    etaMaxAbs: Math.max(...Array.from(r.eta, Math.abs)),
    prediction: $('prediction').textContent,
  };
}

/**
 * The bracket the page shows for the last image drawn (the selftest waits for it: idle() waits
 * for every request). Throws unless the radius is shown and is at most the smallest fooling ε,
 * and the attack at ε = radius did not fool the model: a certificate is a proof.
 */
function bracketShown() {
  const element = $('bracket');
  const b = page.bracket;
  if (element.dataset.state !== 'ready' || b === null) throw new Error(`selftest: no bracket shown (${element.dataset.state}: ${element.textContent})`);
  const radiusText = `ε = ${b.radius.toFixed(4)}`;
  if (b.radius > 0 && !element.textContent.includes(radiusText)) throw new Error(`selftest: the radius ${radiusText} is not in the text '${element.textContent}'`);
  if (b.foolingEps !== null && !(b.radius <= b.foolingEps)) throw new Error(`selftest: certified radius ${b.radius} exceeds the smallest fooling ε ${b.foolingEps}`);
  if (b.foolsAtRadius) throw new Error(`selftest: the attack fooled the model at the certified radius ${b.radius}`);
  return { text: element.textContent, modelId: b.modelId, label: b.label, radius: b.radius, foolingEps: b.foolingEps, foolsAtRadius: b.foolsAtRadius, tolerance: b.tolerance, ms: b.ms };
}

async function timeUpdates(epsilons) {
  const attack = [], total = [], roundTrip = [];
  for (const eps of epsilons) {
    await act(() => slide(eps));
    attack.push(page.last.ms.attack);
    total.push(page.last.ms.total);
    roundTrip.push(page.last.roundTripMs);
  }
  return { runs: epsilons.length, attackMs: median(attack), workerMs: median(total), roundTripMs: median(roundTrip), attackMsAll: attack };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Real DOM events

export function setValue(id, value, eventName) {
  const element = $(id);
  element.value = value;
  element.dispatchEvent(new Event(eventName, { bubbles: true }));
}

function slide(eps) {
  setValue('eps', String(eps), 'input');
  if (Math.abs(state.eps - eps) > 1e-12) throw new Error(`the slider did not take ε = ${eps} (state has ${state.eps})`);
}

function click(element) {
  element.click(); // a trusted-path click: fires click, and change for radios
}

/** A mouse click at (x, y) in canvas pixels. */
function clickAt(canvas, x, y) {
  const rect = canvas.getBoundingClientRect();
  const clientX = rect.left + (x * rect.width) / canvas.width, clientY = rect.top + (y * rect.height) / canvas.height;
  canvas.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX, clientY }));
}

/** A pen stroke through `points` (pad pixels, 280×280) as pointerdown, pointermoves, pointerup. */
function stroke(canvas, points) {
  const rect = canvas.getBoundingClientRect();
  const client = ([x, y]) => ({ clientX: rect.left + (x * rect.width) / canvas.width, clientY: rect.top + (y * rect.height) / canvas.height });
  const fire = (type, p) => canvas.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, buttons: type === 'pointerup' ? 0 : 1, ...client(p) }));
  fire('pointerdown', points[0]);
  for (let i = 1; i < points.length; i++) {
    // Several moves per segment, as a real pointer reports them.
    for (let t = 1; t <= 5; t++) {
      const [ax, ay] = points[i - 1], [bx, by] = points[i];
      fire('pointermove', [ax + ((bx - ax) * t) / 5, ay + ((by - ay) * t) / 5]);
    }
  }
  fire('pointerup', points[points.length - 1]);
}

// ---------------------------------------------------------------------------------------------
// Waiting for the worker

/** Runs a control action, then waits until the page has no update in flight or pending. */
export async function act(action) {
  action();
  await idle();
}

function idle() {
  return until(() => page.inFlight === null && !page.dirty);
}

/** Resolves when `condition()` holds; checks again on every worker answer and every 20 ms. */
export function until(condition, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const check = () => {
      if (condition()) return resolve();
      if (performance.now() - started > timeoutMs) return reject(new Error(`selftest: timed out after ${timeoutMs} ms waiting for the page`));
      setTimeout(check, 20);
    };
    check();
  });
}

/** Every URL the page and its worker fetched (Resource Timing), and the page's own. */
async function resources() {
  const names = [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)];
  if (page.worker) {
    names.push(...await new Promise((resolve) => {
      const onMessage = (event) => {
        if (event.data.type !== 'resources') return;
        page.worker.removeEventListener('message', onMessage);
        resolve(event.data.names);
      };
      page.worker.addEventListener('message', onMessage);
      page.worker.postMessage({ type: 'resources' });
    }));
  }
  return names;
}
