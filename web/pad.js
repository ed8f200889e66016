// @ts-check
// The drawing pad: a 280×280 canvas (ten screen pixels per MNIST pixel) drawn on with pointer
// events, and its conversion into an MNIST-like 28×28 image.
//
// MNIST's digits were size-normalised to fit a 20×20 box (keeping their aspect ratio, with
// anti-aliasing) and then placed in the 28×28 frame so that their centre of mass sits at the
// centre. A network trained on them expects exactly that, so a drawing is prepared the same way:
// a digit drawn small in a corner is still classified as the digit it is.

/** Pen width on the 280×280 pad: about 2.5 MNIST pixels once a tall digit is scaled to 20 px. */
const PEN = 22;

/**
 * Makes `canvas` a drawing pad; `onChange()` is called after every stroke segment.
 * Returns { clear(), pixels() } where pixels() is the 28×28 image (Float32Array, 0..255) or null
 * when nothing is drawn.
 */
export function createPad(canvas, onChange) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = PEN;
  ctx.strokeStyle = '#fff';
  ctx.fillStyle = '#fff';
  let last = null; // the previous point of the stroke in progress

  const point = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [((event.clientX - rect.left) * canvas.width) / rect.width, ((event.clientY - rect.top) * canvas.height) / rect.height];
  };
  canvas.addEventListener('pointerdown', (event) => {
    canvas.setPointerCapture?.(event.pointerId);
    last = point(event);
    ctx.beginPath();
    ctx.arc(last[0], last[1], PEN / 2, 0, 2 * Math.PI);
    ctx.fill();
    onChange();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (last === null) return;
    const next = point(event);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(next[0], next[1]);
    ctx.stroke();
    last = next;
    onChange();
  });
  const end = () => {
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  return {
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      onChange();
    },
    pixels: () => toMnist(canvas),
  };
}

/** The pad's ink as a 28×28 MNIST-style image (grey levels 0..255), or null if it is blank. */
export function toMnist(canvas) {
  const { width, height } = canvas;
  const ink = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, width, height).data;
  // Bounding box of the ink (alpha > 0).
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[(y * width + x) * 4 + 3] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  // Scale the box so that its longer side is 20 px, keeping the aspect ratio; the browser's
  // smoothing averages the pixels, as MNIST's anti-aliasing did.
  const boxW = x1 - x0 + 1, boxH = y1 - y0 + 1;
  const scale = 20 / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * scale)), h = Math.max(1, Math.round(boxH * scale));
  const small = document.createElement('canvas'); // not OffscreenCanvas: older Safari lacks it
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d', { willReadFrequently: true });
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(canvas, x0, y0, boxW, boxH, 0, 0, w, h);
  const scaled = sctx.getImageData(0, 0, w, h).data;
  // Centre of mass of the scaled ink (alpha is the ink's weight: white ink on transparent).
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const m = scaled[(y * w + x) * 4 + 3];
      mass += m;
      cx += m * x;
      cy += m * y;
    }
  }
  if (mass === 0) return null;
  // Shift it (by whole pixels) so that its centre of mass lands on the centre of the 28×28 field,
  // 13.5 in pixel indices, as MNIST did.
  const dx = Math.round(13.5 - cx / mass), dy = Math.round(13.5 - cy / mass);
  const out = new Float32Array(784);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = scaled[(y * w + x) * 4 + 3];
    }
  }
  return out;
}
