// @ts-check
// Drawing what the worker computed: grey images, signed maps in a diverging colour map, the ten
// softmax bars, and the robustness curves as SVG. Pure presentation: no numbers are made here.

/** A 28×28 grey image (values in grey levels, shown clamped to 0..255; 255 = ink, drawn white). */
export function paintGrey(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i])));
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

// Blue for negative, white for zero, red for positive (ColorBrewer's RdBu ends), so that the
// sign of η and of the gradient reads at a glance and zero stays neutral.
const NEGATIVE = [33, 102, 172];
const POSITIVE = [178, 24, 43];

/** The colour of v ∈ [−1, 1] in the diverging map, as [r, g, b]. */
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(t);
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

/** A signed 28×28 map, values divided by `scale` (> 0) before colouring. */
export function paintSigned(canvas, values, scale) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) image.data.set([...diverging(scale > 0 ? values[i] / scale : 0), 255], i * 4);
  ctx.putImageData(image, 0, 0);
}

/** Clears a canvas to the page background (nothing to show). */
export function clearCanvas(canvas) {
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * Ten horizontal bars, one per class, into `container` (built once, then only resized, so that a
 * slider drag does not rebuild the DOM). `probs` null empties them.
 */
export function paintBars(container, probs, { predicted = -1, label = -1 } = {}) {
  if (container.childElementCount !== 10) {
    container.replaceChildren();
    for (let k = 0; k < 10; k++) {
      const row = document.createElement('div');
      row.className = 'bar';
      row.innerHTML = `<span class="digit">${k}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
      container.append(row);
    }
  }
  [...container.children].forEach((row, k) => {
    const p = probs === null ? 0 : probs[k];
    row.querySelector('.fill').style.width = `${(100 * p).toFixed(2)}%`;
    row.querySelector('.value').textContent = probs === null ? '' : p >= 0.001 ? p.toFixed(3) : p.toExponential(0);
    row.classList.toggle('predicted', k === predicted);
    row.classList.toggle('label', k === label);
  });
}

const SVG = 'http://www.w3.org/2000/svg';
// One colour per model, in the order of web/models/index.json, then the models trained in the page.
const MODEL_COLOURS = ['#1b6ca8', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#a6761d', '#e6ab02', '#666666'];

function svg(tag, attributes, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  parent?.append(node);
  return node;
}

/**
 * Accuracy against ε for each model that has curves: PGD solid, FGSM dashed, a dot per measured ε,
 * and a vertical line at the slider's ε. Returns a function that moves that line.
 * @param series [{ name, colourIndex, fgsm: [{eps, accuracy}], pgd: [...] }]
 */
export function drawCurves(container, series) {
  const W = 560, H = 300, left = 48, right = 190, top = 12, bottom = 40;
  const x = (eps) => left + (eps / 0.5) * (W - left - right);
  const y = (acc) => top + (1 - acc) * (H - top - bottom);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'accuracy against ε' });
  for (let i = 0; i <= 5; i++) {
    const acc = i / 5;
    svg('line', { x1: left, x2: W - right, y1: y(acc), y2: y(acc), class: 'grid' }, root);
    svg('text', { x: left - 6, y: y(acc) + 4, 'text-anchor': 'end', class: 'tick' }, root).textContent = acc.toFixed(1);
  }
  for (let i = 0; i <= 5; i++) {
    const eps = i / 10;
    svg('text', { x: x(eps), y: H - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, root).textContent = eps.toFixed(1);
  }
  svg('text', { x: (left + W - right) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, root).textContent = 'ε (fraction of the pixel range)';
  svg('text', { x: 12, y: (top + H - bottom) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(top + H - bottom) / 2})` }, root).textContent = 'accuracy';

  // Legend: one colour per model, one line style per attack (PGD-40 solid, FGSM dashed).
  const STYLES = [['pgd', '', 'PGD-40'], ['fgsm', '5 4', 'FGSM']];
  let legendY = top + 8;
  const legend = (stroke, dash, text) => {
    svg('line', { x1: W - right + 12, x2: W - right + 36, y1: legendY, y2: legendY, stroke, 'stroke-width': 2, 'stroke-dasharray': dash }, root);
    svg('text', { x: W - right + 42, y: legendY + 4, class: 'legend-text' }, root).textContent = text;
    legendY += 18;
  };
  for (const s of series) {
    const colour = MODEL_COLOURS[s.colourIndex % MODEL_COLOURS.length];
    for (const [kind, dash] of STYLES) {
      const points = s[kind];
      svg('polyline', { points: points.map((p) => `${x(p.eps)},${y(p.accuracy)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash }, root);
      for (const p of points) svg('circle', { cx: x(p.eps), cy: y(p.accuracy), r: 2.5, fill: colour }, root);
    }
    legend(colour, '', s.name);
  }
  legendY += 8;
  for (const [, dash, text] of STYLES) legend('#5b6670', dash, text);
  const marker = svg('line', { y1: top, y2: H - bottom, class: 'eps-marker' }, root);
  container.replaceChildren(root);
  return (eps) => {
    marker.setAttribute('x1', x(eps));
    marker.setAttribute('x2', x(eps));
  };
}

/** Training charts' series styles: clean solid, FGSM dashed, PGD dotted. */
const TRAIN_SERIES = [['clean', '', '#1b6ca8'], ['fgsm', '5 4', '#d95f02'], ['pgd', '2 3', '#7570b3']];

/**
 * The train panel's two charts, redrawn whole on every call (a few hundred points): the loss of
 * every step, and the live accuracies (clean, FGSM, PGD) against the training images seen.
 * @param {any} run { losses: [{ imagesDone, loss }], evals: [{ imagesDone, clean, fgsm, pgd }], imagesTotal, config }
 */
export function drawTraining(container, run) {
  const W = 360, H = 220, left = 44, right = 10, top = 10, bottom = 36;
  const total = Math.max(1, run.imagesTotal);
  const x = (images) => left + (images / total) * (W - left - right);
  const frame = (label, yMax, ticks, format) => {
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label });
    const y = (v) => top + (1 - v / yMax) * (H - top - bottom);
    for (let i = 0; i <= ticks; i++) {
      const v = (yMax * i) / ticks;
      svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }, root);
      svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, root).textContent = format(v);
    }
    const epochs = run.config.epochs;
    for (let e = 1; e < epochs; e++) svg('line', { x1: x((e * total) / epochs), x2: x((e * total) / epochs), y1: top, y2: H - bottom, class: 'epoch-line' }, root);
    svg('text', { x: (left + W - right) / 2, y: H - 18, 'text-anchor': 'middle', class: 'tick' }, root).textContent = `training images seen (of ${total.toLocaleString('en')})`;
    svg('text', { x: left, y: H - 4, class: 'axis' }, root).textContent = label;
    return { root, y };
  };
  const maxLoss = Math.max(0.5, ...run.losses.map((p) => (Number.isFinite(p.loss) ? p.loss : 0)));
  const loss = frame('loss per step', Math.ceil(maxLoss * 2) / 2, Math.ceil(maxLoss * 2), (v) => v.toFixed(1));
  svg('polyline', { points: run.losses.map((p) => `${x(p.imagesDone).toFixed(1)},${loss.y(Math.min(p.loss, maxLoss)).toFixed(1)}`).join(' '), fill: 'none', stroke: '#1b6ca8', 'stroke-width': 1 }, loss.root);
  const acc = frame(`accuracy on ${run.config.evalCount} test images (PGD-${run.config.evalSteps}, ε = ${run.config.eps})`, 1, 5, (v) => v.toFixed(1));
  let legendX = left + 8;
  for (const [key, dash, colour] of TRAIN_SERIES) {
    const points = run.evals.map((e) => [x(e.imagesDone), acc.y(e[key])]);
    svg('polyline', { points: points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash }, acc.root);
    for (const [a, b] of points) svg('circle', { cx: a, cy: b, r: 2.5, fill: colour }, acc.root);
    svg('line', { x1: legendX, x2: legendX + 20, y1: top + 10, y2: top + 10, stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash }, acc.root);
    svg('text', { x: legendX + 24, y: top + 14, class: 'legend-text' }, acc.root).textContent = key === 'clean' ? 'clean' : key === 'fgsm' ? 'FGSM' : 'PGD';
    legendX += 80;
  }
  container.replaceChildren(loss.root, acc.root);
}
