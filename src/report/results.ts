/**
 * What a `reproduce` run is, as data: the schema of `results.json` (Results and the types it is
 * made of), the paper's published numbers that the reports set ours beside (PAPER_RESULTS), and the
 * roster of models the reports show, each with the surrogate of its black-box check (MODELS).
 *
 * Every renderer (report.ts, the two section files, seeds.ts, drift.ts, terminal.ts) and the
 * experiment import this module; it imports none of them, so the report folder has no import cycle.
 *
 * The metrics, the paper's five, over the test images: accuracy ("correctly predicted"),
 * error = 1 − accuracy, and the softmax probability of the predicted class averaged over all
 * images ("confidence"), over the correctly predicted ones and over the misclassified ones. The
 * last two are NaN when their set is empty; JSON has no NaN, so `results.json` holds `null` there.
 *
 * The JSON keys are those the committed runs under docs/results/ were written with; renaming a
 * code identifier here never renames a key.
 */
import type { Metrics } from '../train/metrics.ts';
import type { RobustnessSummary } from '../robustness/summary.ts';

export type { Metrics };

/** Metrics as the paper states them (it gives no counts; they are over the 10,000 test images). */
export type PaperMetrics = Omit<Metrics, 'count'>;

/** One model's evaluation on the clean test images and on their FGSM examples. */
export interface MetricsPair<M = Metrics> {
  clean: M;
  adversarial: M;
}

/** How the experiment ran: every value read from the objects that ran (experiment/config.ts). */
export interface ResultsConfig {
  /** ε as a fraction of the pixel range (0.25 → 63.75 grey levels). */
  eps: number;
  epsGreyLevels?: number;
  clip: boolean;
  schedule: 'batch' | 'epoch';
  seed: number;
  epochs: { standard: number; adversarial: number };
  trainCount: number;
  testCount: number;
  /** The preset's name: 'default', 'seed', 'robust', 'quick'. */
  preset: string;
  workers?: number;
  /** Images per step, the optimiser's η, μ and λ, and the initialisation, as the run used them. */
  batch?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  init?: string;
  [k: string]: unknown;
}

/** What `reproduce` writes to `results.json`. */
export interface Results {
  config: ResultsConfig;
  standard: MetricsPair;
  adversarial: MetricsPair;
  seconds: { standard: number; adversarial: number; pgd?: number; fgsmRs?: number; pgdRelu?: number; robustness?: number; total?: number };
  epochLog?: EpochLogEntry[];
  machine?: { node: string; cpus: string; platform: string; date: string };
  /**
   * "How robust, really?": PGD, worst case, curves and audit of every model on a test subset
   * (pgd, pgdRelu and fgsmRs: the robust preset's models). `surrogates` names the model whose
   * examples each was audited with (absent in runs from before it was recorded: the roster's).
   */
  robustness?: {
    count: number;
    chart: string;
    models: { standard: RobustnessSummary; adversarial: RobustnessSummary; pgd?: RobustnessSummary; fgsmRs?: RobustnessSummary; pgdRelu?: RobustnessSummary };
    surrogates?: Partial<Record<ModelKey, ModelKey | null>>;
  };
  /** The robust preset: the recipe and its robustly trained models (runs before the variant had pgd and fgsmRs). */
  robustTraining?: { recipe: RobustRecipe; chart: string; models: Partial<Record<RobustKey, RobustRun>> };
}

/** One line of the per-epoch log (epochs.jsonl and results.json's epochLog). */
export type EpochLogEntry = { phase: 'standard' | 'adversarial' | 'pgd' | 'fgsm-rs' | 'pgd-relu'; epoch: number; loss: number; seconds: number; [k: string]: unknown };

/** How the robust preset's models are trained (all of them share it but for the epochs). */
export interface RobustRecipe {
  optimizer: 'adam';
  lr: number;
  batch: number;
  /** PGD steps k of the 'pgd' schedule (step 2.5·ε/k, random start). */
  steps: number;
  /** ε grows linearly from 0 over the first epsRamp epochs. */
  epsRamp: number;
  /** Epochs of each model trained (a model with none is not trained). */
  epochs: Partial<Record<RobustKey, number>>;
  /** What is subtracted from the inputs (absent: 'image', the mean training image, as in runs before the choice). */
  normalization?: 'image' | 'scalar';
  /** The learning rate over each run (absent: 'constant'). */
  lrSchedule?: 'constant' | 'cosine' | 'one-cycle';
  /** Training images of each robust model (the first ones, after the validation subset is removed). */
  images: number;
  /** The last validationCount training images, never trained on. */
  validationCount: number;
  /** "PGD-10 at ε = 0.25 (63.75 grey levels)". */
  validationAttack: string;
}

/** One robust model: the best epoch by validation PGD, its test metrics, and the validation curve. */
export interface RobustRun {
  schedule: 'pgd' | 'fgsm-rs';
  /** The network's architecture name (models/registry.ts; absent: the seed's LeNet, as in runs before the variant). */
  architecture?: string;
  /** Epochs run (fewer than asked when a collapse stopped the run). */
  epochs: number;
  bestEpoch: number;
  seconds: number;
  /** The best epoch's model on the clean test images and their FGSM examples. */
  metrics: MetricsPair;
  validation: Array<{ epoch: number; clean: number; robust: number }>;
  collapse?: string;
}

/** The paper's two tables, over the 10,000 MNIST test images at ε = 0.25 after 30 + 30 epochs. */
export const PAPER_RESULTS: { standard: MetricsPair<PaperMetrics>; adversarial: MetricsPair<PaperMetrics> } = {
  standard: {
    clean: { accuracy: 0.9858, error: 0.0142, confidence: 0.9858, confidenceCorrect: 0.9899, confidenceError: 0.7029 },
    adversarial: { accuracy: 0.0496, error: 0.9504, confidence: 0.9305, confidenceCorrect: 0.8869, confidenceError: 0.9328 },
  },
  adversarial: {
    clean: { accuracy: 0.984, error: 0.016, confidence: 0.9721, confidenceCorrect: 0.9761, confidenceError: 0.6734 },
    adversarial: { accuracy: 0.8328, error: 0.1672, confidence: 0.8458, confidenceCorrect: 0.8761, confidenceError: 0.6947 },
  },
};

/** The epochs behind the paper's tables. */
export const PAPER_EPOCHS = { standard: 30, adversarial: 30 } as const;

/** The paper's row names, in the paper's order, with the field each shows. */
export const METRIC_ROWS: ReadonlyArray<readonly [string, keyof PaperMetrics]> = [
  ['correctly predicted', 'accuracy'],
  ['error', 'error'],
  ['confidence', 'confidence'],
  ['confidence, correctly predicted', 'confidenceCorrect'],
  ['confidence, error', 'confidenceError'],
];

/** The models of a run, as results.json keys them. */
export type ModelKey = 'standard' | 'adversarial' | 'pgd' | 'fgsmRs' | 'pgdRelu';

/** The robust preset's models, in the reports' order. */
export type RobustKey = 'pgdRelu' | 'pgd' | 'fgsmRs';
export const ROBUST_KEYS: readonly RobustKey[] = ['pgdRelu', 'pgd', 'fgsmRs'];

/**
 * The models the reports show, in the reports' order, each with the surrogate of its black-box
 * check. The standard and the FGSM-trained models audit each other. The robust ones use the
 * standard model: trained independently and not robust, its gradients are informative, so its
 * examples transfer as well as any model here can make them; the FGSM-trained model's own
 * gradients are the ones suspected of masking, and a robust surrogate would make weak examples
 * and a check that cannot flag anything. A model centred by another mean than its surrogate's
 * (the scalar-mean robust models against the standard model's mean image) is attacked in the
 * surrogate's own centring and the example moved into the target's (robustness/shifted-surrogate.ts):
 * the same pixels, so the transfer is the same black-box attack.
 */
export const MODELS: ReadonlyArray<{ key: ModelKey; name: string; surrogate: ModelKey }> = [
  { key: 'standard', name: 'standard', surrogate: 'adversarial' },
  { key: 'adversarial', name: 'adversarially trained (FGSM)', surrogate: 'standard' },
  { key: 'pgdRelu', name: 'PGD-trained LeNet-ReLU', surrogate: 'standard' },
  { key: 'pgd', name: 'PGD-trained LeNet', surrogate: 'standard' },
  { key: 'fgsmRs', name: 'FGSM-RS-trained', surrogate: 'standard' },
];

/** The phase name of a robust model in the per-epoch log and its checkpoint's file name. */
export const ROBUST_PHASE: Record<RobustKey, 'pgd' | 'fgsm-rs' | 'pgd-relu'> = { pgdRelu: 'pgd-relu', pgd: 'pgd', fgsmRs: 'fgsm-rs' };

/** The surrogate model `key` was audited with: as recorded, else the roster's (runs from before the record); null for none. */
export function surrogateOf(robustness: Pick<NonNullable<Results['robustness']>, 'surrogates'>, key: ModelKey): ModelKey | null {
  if (robustness.surrogates !== undefined) return robustness.surrogates[key] ?? null;
  return MODELS.find((m) => m.key === key)!.surrogate;
}

/** The roster's display name of a model. */
export function modelName(key: ModelKey): string {
  return MODELS.find((m) => m.key === key)!.name;
}

/** The chart files beside report.md. */
export const ROBUSTNESS_CHART = 'robustness-curves.svg';
export const VALIDATION_CHART = 'validation-curves.svg';
