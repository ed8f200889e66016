import { describe, expect, test } from 'vitest';
import { lineChartSvg } from '../../src/report/svg-chart.ts';

describe('lineChartSvg', () => {
  const chart = {
    title: 'A < B & C',
    xLabel: 'ε',
    yLabel: 'accuracy',
    series: [
      { label: 'model "a"', color: '#123456', points: [{ x: 0, y: 1 }, { x: 0.25, y: 0.5, error: 0.05 }, { x: 0.5, y: 0 }] },
      { label: 'b', color: '#654321', dashed: true, points: [{ x: 0, y: 0.9 }, { x: 0.5, y: 0.1 }] },
    ],
    references: [{ y: 0.1, label: 'chance' }],
  };
  const svg = lineChartSvg(chart);

  test('a standalone SVG document with one polyline per series, text escaped', () => {
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="585" height="440"/); // 474 + a legend of 9-character labels
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)?.length).toBe(2);
    expect(svg).toContain('A &lt; B &amp; C');
    expect(svg).toContain('model &quot;a&quot;');
    expect(svg).toContain('stroke-dasharray="7 4"');
  });

  test('data map onto the plot box: x = 0 at the left edge, y = 1 at the top, y = 0 at the bottom', () => {
    // plot box: left 64, top 40, width 585 − 64 − 111 = 410, height 440 − 40 − 52 = 348
    expect(svg).toContain('<polyline points="64.0,40.0 269.0,214.0 474.0,388.0"');
    expect(svg).toContain('<line x1="269.0" y1="231.4" x2="269.0" y2="196.6" stroke="#123456"/>'); // the ±0.05 error bar
  });

  test('a non-finite point is a clear error, not a broken picture', () => {
    expect(() => lineChartSvg({ ...chart, series: [{ label: 'bad', color: '#000', points: [{ x: 0, y: NaN }] }] })).toThrow("lineChartSvg: series 'bad' has a point (0, NaN) that is not finite");
  });
});
