/**
 * examples.png on disk: the grid of report/examples.ts encoded as a PNG and written atomically.
 * Node only (files); the grid itself is drawn in memory by renderExamples, anywhere.
 */
import { writePng } from '../io/png.ts';
import { renderExamples, type ExampleRow, type ExamplesOptions } from './examples.ts';

/**
 * Renders the grid and writes it as a PNG (atomically, via a temporary file).
 * @param file destination, e.g. `runs/…/examples.png`
 * @param rows one row per model
 * @param options image and text magnification
 */
export function writeExamplesPng(file: string, rows: ExampleRow[], options: ExamplesOptions = {}): void {
  const canvas = renderExamples(rows, options);
  writePng(file, canvas.width, canvas.height, canvas.pixels);
}
