/**
 * The seed's five metrics over a set of predictions. With p = softmax(logits), the prediction
 * ŷ = argmax_k p[k] and its confidence c = max_k p[k]:
 *
 *   accuracy          = #{ŷ = y} / count            error = 1 − accuracy
 *   confidence        = mean of c over all images
 *   confidenceCorrect = mean of c over the images with ŷ = y    (NaN if there are none)
 *   confidenceError   = mean of c over the images with ŷ ≠ y    (NaN if there are none)
 */
import { softmaxForward } from '../layers/softmax-cross-entropy.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface Metrics {
  accuracy: number;
  error: number;
  confidence: number;
  confidenceCorrect: number;
  confidenceError: number;
  count: number;
}

/** Accumulates predictions batch by batch, in float64; `result()` gives the metrics. */
export class MetricsAccumulator {
  private correct = 0;
  private count = 0;
  private sumConfidence = 0;
  private sumConfidenceCorrect = 0;
  private sumConfidenceError = 0;

  /** Adds a batch. @param logits [N, K] @param labels [N] */
  add(logits: Tensor, labels: ArrayLike<number>): void {
    if (logits.rank !== 2 || logits.shape[0] !== labels.length) {
      throw new RangeError(`metrics: logits ${formatShape(logits.shape)} do not match ${labels.length} labels`);
    }
    const [N, K] = logits.shape;
    const p = softmaxForward(logits).data; // [N, K]
    for (let n = 0; n < N; n++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[n * K + k] > p[n * K + best]) best = k;
      const c = p[n * K + best];
      this.sumConfidence += c;
      if (best === labels[n]) {
        this.correct++;
        this.sumConfidenceCorrect += c;
      } else {
        this.sumConfidenceError += c;
      }
    }
    this.count += N;
  }

  result(): Metrics {
    const { correct, count } = this;
    const wrong = count - correct;
    return {
      accuracy: count === 0 ? NaN : correct / count,
      error: count === 0 ? NaN : wrong / count,
      confidence: count === 0 ? NaN : this.sumConfidence / count,
      confidenceCorrect: correct === 0 ? NaN : this.sumConfidenceCorrect / correct,
      confidenceError: wrong === 0 ? NaN : this.sumConfidenceError / wrong,
      count,
    };
  }
}

/** The metrics of one table of logits [N, K] against labels [N]. */
export function metricsOf(logits: Tensor, labels: ArrayLike<number>): Metrics {
  const acc = new MetricsAccumulator();
  acc.add(logits, labels);
  return acc.result();
}
