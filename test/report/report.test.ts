import { describe, expect, test } from 'vitest';
import { formatDifference, formatValue } from '../../src/report/format.ts';
import { formatMetricsTable, formatMetricsText } from '../../src/report/metrics-table.ts';
import { renderReport } from '../../src/report/report.ts';
import { PAPER_RESULTS, type Metrics, type Results } from '../../src/report/results.ts';

function metrics(accuracy: number, confidence: number, confidenceCorrect: number, confidenceError: number, count = 10000): Metrics {
  return { accuracy, error: 1 - accuracy, confidence, confidenceCorrect, confidenceError, count };
}

/** A hand-made run: standard clean accuracy 0.9870 (paper 0.9858, so +0.0012), a NaN in the adversarial model's clean row. */
function handMade(): Results {
  return {
    config: {
      eps: 0.25,
      clip: false,
      schedule: 'batch',
      seed: 0,
      epochs: { standard: 3, adversarial: 3 },
      trainCount: 60000,
      testCount: 10000,
      preset: 'default',
      workers: 2,
    },
    standard: { clean: metrics(0.987, 0.9861, 0.99, 0.7), adversarial: metrics(0.0496, 0.9305, 0.8869, 0.9328) },
    adversarial: { clean: metrics(1, 0.98, 0.98, Number.NaN), adversarial: metrics(0.83, 0.85, 0.88, 0.7) },
    seconds: { standard: 600.25, adversarial: 1800 },
    epochLog: [
      { phase: 'standard', epoch: 1, loss: 0.23456789, seconds: 200, imagesPerSecond: 300 },
      { phase: 'adversarial', epoch: 1, loss: 0.5, seconds: 600 },
    ],
    machine: { node: 'v20.0.0', cpus: '2 × Test CPU', platform: 'linux x64', date: '2025-01-01' },
  };
}

describe('number formatting', () => {
  test.each([
    [0.98765, '0.9877'],
    [1, '1.0000'],
    [Number.NaN, 'n/a'],
    [Number.POSITIVE_INFINITY, 'n/a'],
  ])('formatValue(%s) = %s', (value, text) => expect(formatValue(value)).toBe(text));

  test.each([
    [0.987, 0.9858, '+0.0012'],
    [0.9, 0.93, '-0.0300'],
    [0.5, 0.5, '+0.0000'],
    [0.50000001, 0.5000001, '+0.0000'], // rounds to zero: no "-0.0000"
    [Number.NaN, 0.7, 'n/a'],
  ])('formatDifference(%s, %s) = %s', (ours, seed, text) => expect(formatDifference(ours, seed)).toBe(text));
});

describe('PAPER_RESULTS', () => {
  test('holds the tables of the paper, internally consistent', () => {
    expect(PAPER_RESULTS.standard.clean.accuracy).toBe(0.9858);
    expect(PAPER_RESULTS.adversarial.adversarial.accuracy).toBe(0.8328);
    for (const model of [PAPER_RESULTS.standard, PAPER_RESULTS.adversarial]) {
      for (const m of [model.clean, model.adversarial]) {
        expect(m.accuracy + m.error).toBeCloseTo(1, 10);
        // The overall confidence is the mix of the two conditional ones. The tolerance is 1e-3, not
        // the 4-decimal rounding's 1e-4: the paper's adversarial-training clean column is itself off by
        // 8.4e-4 (0.984·0.9761 + 0.016·0.6734 = 0.9713 vs 0.9721), and we keep its numbers as printed.
        expect(Math.abs(m.accuracy * m.confidenceCorrect + m.error * m.confidenceError - m.confidence)).toBeLessThan(1e-3);
      }
    }
  });
});

describe('formatMetricsTable / formatMetricsText', () => {
  const ours = handMade().standard;

  test('Markdown table: the paper\'s shape, with the paper\'s value and the difference per cell', () => {
    const table = formatMetricsTable('standard training', ours, PAPER_RESULTS.standard);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('| standard training | clean | paper | ours − paper | adversarial | paper | ours − paper |');
    expect(lines[2]).toBe('| correctly predicted | 0.9870 | 0.9858 | +0.0012 | 0.0496 | 0.0496 | +0.0000 |');
    expect(lines[3]).toBe('| error | 0.0130 | 0.0142 | -0.0012 | 0.9504 | 0.9504 | +0.0000 |');
    expect(lines[5]).toBe('| confidence, correctly predicted | 0.9900 | 0.9899 | +0.0001 | 0.8869 | 0.8869 | +0.0000 |');
    expect(lines[6]).toBe('| confidence, error | 0.7000 | 0.7029 | -0.0029 | 0.9328 | 0.9328 | +0.0000 |');
  });

  test('without the paper: our numbers only, in the paper\'s table shape', () => {
    const lines = formatMetricsTable('standard training', ours, null).trimEnd().split('\n');
    expect(lines[0]).toBe('| standard training | clean | adversarial |');
    expect(lines[4]).toBe('| confidence | 0.9861 | 0.9305 |');
  });

  test('plain text: columns aligned', () => {
    const text = formatMetricsText('standard training', ours, PAPER_RESULTS.standard);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^standard training +clean +paper +ours − paper +adversarial +paper +ours − paper$/);
    expect(lines[1]).toMatch(/^correctly predicted +0\.9870 +0\.9858 +\+0\.0012 +0\.0496/);
    // Every number column ends at the same place on every line.
    const ends = (line: string) => [...line.matchAll(/\S+(?= {2}|$)/g)].map((m) => m.index! + m[0].length);
    const headerEnds = ends(lines[0]);
    for (const line of lines.slice(1)) expect(ends(line).slice(-6)).toEqual(headerEnds.slice(-6));
  });
});

describe('renderReport', () => {
  const report = renderReport(handMade());

  test('has both tables with our numbers, the paper\'s numbers and the differences', () => {
    expect(report).toContain('### Standard training');
    expect(report).toContain('### Adversarial training');
    expect(report).toContain('| correctly predicted | 0.9870 | 0.9858 | +0.0012 |');
    expect(report).toContain('| correctly predicted | 1.0000 | 0.9840 | +0.0160 | 0.8300 | 0.8328 | -0.0028 |');
    expect(report).toContain('| confidence, error | n/a | 0.6734 | n/a | 0.7000 | 0.6947 | +0.0053 |');
  });

  test('states the configuration: ε as fraction and grey levels, clipping, schedule explained', () => {
    expect(report).toMatch(/^# /);
    expect(report).toContain('| ε | 0.25 of the pixel range = 63.75 grey levels');
    expect(report).toContain('| clipping | off');
    expect(report).toContain('| adversarial-training schedule | `batch`');
    expect(report).toContain('regenerated for every minibatch');
    expect(report).toContain('J̃ = ½·J(x) + ½·J(x_adv)');
    expect(report).toContain('| epochs | standard 3, adversarial 3');
    expect(report).toContain('| training images | 60,000 |');
    expect(report).toContain('| test images | 10,000 |');
    expect(report).toContain('| workers | 2 |');
  });

  test('the epoch schedule gets its own explanation, clipping on is stated', () => {
    const results = handMade();
    results.config.schedule = 'epoch';
    results.config.clip = true;
    results.config.eps = 0.1;
    const text = renderReport(results);
    expect(text).toContain('once at the start of each epoch');
    expect(text).toContain('go stale');
    expect(text).toContain('| clipping | on');
    expect(text).toContain('0.1 of the pixel range = 25.5 grey levels');
    expect(text).toContain("The paper's numbers are for ε = 0.25");
  });

  test('timing, per-epoch log with extra columns, machine, and the examples pointer', () => {
    expect(report).toContain('| standard training | 600.3 (10 min 0 s) |');
    expect(report).toContain('| total (the two phases) | 2400.3 (40 min 0 s) |');
    expect(report).toContain('| phase | epoch | loss | seconds | imagesPerSecond |');
    expect(report).toContain('| standard | 1 | 0.2346 | 200 | 300 |');
    expect(report).toContain('| adversarial | 1 | 0.5000 | 600 |  |');
    expect(report).toContain('Node v20.0.0');
    expect(report).toContain('(examples.png)');
  });

  test('a nested log field (validation) becomes one numeric column per field, never JSON', () => {
    const results = handMade();
    results.epochLog = [
      { phase: 'pgd', epoch: 1, loss: 0.9, seconds: 200, validation: { clean: 0.977, robust: 0.506, count: 1000, best: true } },
      { phase: 'pgd', epoch: 2, loss: 0.8, seconds: 190, validation: { clean: 0.964, robust: 0.5, count: 1000, best: false } },
    ];
    const text = renderReport(results);
    expect(text).toContain('| phase | epoch | loss | seconds | validation clean | validation PGD | validation count | validation best so far |');
    expect(text).toContain('| pgd | 1 | 0.9000 | 200 | 0.9770 | 0.5060 | 1000 | true |');
    expect(text).toContain('| pgd | 2 | 0.8000 | 190 | 0.9640 | 0.5000 | 1000 | false |');
    expect(text).not.toContain('{"clean"');
  });

  test('warns when the test set is not the full 10,000', () => {
    const results = handMade();
    results.standard.clean.count = 500;
    expect(renderReport(results)).toContain('compare with care');
    expect(report).not.toContain('compare with care');
  });
});
