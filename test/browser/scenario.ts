/**
 * What the browser-context test runs, once in Node and once in a context without Node's globals:
 * the body of an async function of `ag` (the "." entry's exports) that trains, evaluates, attacks
 * and measures robustness on a tiny random set, and returns the numbers it got. Kept as source text
 * so that both runs execute the very same code.
 */
export const SCENARIO = `
const rng = new ag.Rng(7);
const n = 40;
const images = ag.uniform([n, 1, 28, 28], { rng, low: -0.5, high: 0.5 }); // [40, 1, 28, 28]
const labels = Int32Array.from({ length: n }, () => rng.int(10)); // [40]
const data = { images, labels };
const standard = ag.createLeNet({ seed: 1 });
const standardLog = await ag.train(standard, data, { optimizer: new ag.SGD(standard.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 20 });
const robust = ag.createLeNet({ seed: 2 });
const robustLog = await ag.train(robust, data, {
  optimizer: new ag.SGD(robust.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 20,
  adversarial: { schedule: 'batch', fgsm: { eps: 0.1 } },
});
const metrics = await ag.evaluate(standard, images, labels);
const xFgsm = ag.fgsm(standard, images, labels, { eps: 0.1 }); // [40, 1, 28, 28]
const xPgd = ag.pgd(standard, images, labels, { eps: 0.1, steps: 3, seed: 3 }); // [40, 1, 28, 28]
const engine = new ag.InProcessEngine(robust);
const curve = await ag.robustnessCurve(engine, images, labels, { attack: 'fgsm', eps: 0.1 }, [0, 0.05, 0.1]);
const worst = await ag.worstCase(engine, images, labels, ag.defaultSuite({ eps: 0.1, seed: 4 }, 3));
const sum = (t) => t.data.reduce((a, b) => a + b, 0);
return {
  losses: [...standardLog, ...robustLog].map((e) => e.loss),
  accuracy: metrics.accuracy,
  fgsmSum: sum(xFgsm),
  pgdSum: sum(xPgd),
  curve: curve.points.map((p) => p.accuracy),
  worst: worst.accuracy,
};
`;
