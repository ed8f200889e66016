/**
 * Why the GEMM's register tile is 2×5: the micro-kernel alone, generated for several tile shapes
 * MR×NR and two ways of writing it, timed on the same packed panels in the same run.
 *
 *   C[MR×NR] = Σ_{p<kc} a[p, 0:MR] ⊗ b[p, 0:NR]      FLOP = 2·MR·NR·kc per call
 *
 * The loop nest is the GEMM's inner two loops: every B panel (kc×NR, in L1) meets every A panel
 * of a 120-row block (in L2). Variants:
 *   one array, |0   both panels in one Float64Array, indices `(i + c) | 0` (what gemm.ts does)
 *   two arrays      A and B panels in separate arrays, indices `i + c` (the first kernel's style)
 *
 * Run: npx tsx bench/tiles.ts [--kc 256] [--tiles 2x5,3x4,3x8]
 */
import { parseFlags } from '../src/cli/args.ts';
import { median } from './gemm.ts';

type Kernel = (kc: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, ldc: number) => void;

/** Source of an MR×NR kernel; `oneArray` reads both panels from A (B is then the same array). */
function kernelSource(MR: number, NR: number, oneArray: boolean): string {
  const ix = (v: string, c: number): string => (c === 0 ? v : oneArray ? `(${v} + ${c}) | 0` : `${v} + ${c}`);
  const Bn = oneArray ? 'A' : 'B';
  const lines: string[] = [];
  for (let i = 0; i < MR; i++) lines.push(`let ${Array.from({ length: NR }, (_, j) => `c${i}_${j} = 0`).join(', ')};`);
  lines.push(`let ai = aOff, bi = bOff; const aEnd = aOff + kc * ${MR};`);
  lines.push('while (ai < aEnd) {');
  lines.push(Array.from({ length: MR }, (_, i) => `const a${i} = A[${ix('ai', i)}];`).join(' '));
  lines.push(Array.from({ length: NR }, (_, j) => `const b${j} = ${Bn}[${ix('bi', j)}];`).join(' '));
  for (let i = 0; i < MR; i++) lines.push(Array.from({ length: NR }, (_, j) => `c${i}_${j} += a${i} * b${j};`).join(' '));
  lines.push(oneArray ? `ai = (ai + ${MR}) | 0; bi = (bi + ${NR}) | 0;` : `ai += ${MR}; bi += ${NR};`);
  lines.push('}');
  for (let i = 0; i < MR; i++) lines.push(Array.from({ length: NR }, (_, j) => `C[cOff + ${i} * ldc + ${j}] = c${i}_${j};`).join(' '));
  return lines.join('\n');
}

/** Median GFLOP/s of one kernel over `reps` repetitions of ~0.2 s each. */
function measure(MR: number, NR: number, oneArray: boolean, kc: number, reps: number): number {
  // a fresh Function per variant: each gets its own feedback and optimised code
  const kern = new Function('kc', 'A', 'aOff', 'B', 'bOff', 'C', 'cOff', 'ldc', kernelSource(MR, NR, oneArray)) as Kernel;
  const mc = Math.floor(120 / MR) * MR; // rows of the A block
  const nc = Math.floor(480 / NR) * NR; // columns of the B block
  const fill = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000);
  const A = fill(mc * kc + (oneArray ? nc * kc : 0)); // [A panels | B panels] or A panels only
  const B = oneArray ? A : fill(nc * kc);
  const b0 = oneArray ? mc * kc : 0;
  const C = new Float64Array(mc * nc);
  const block = (): void => {
    for (let jr = 0; jr < nc; jr += NR) for (let ir = 0; ir < mc; ir += MR) kern(kc, A, ir * kc, B, b0 + jr * kc, C, ir * nc + jr, nc);
  };
  for (let w = 0; w < 20; w++) block();
  const flop = 2 * mc * nc * kc;
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    let calls = 0;
    do {
      block();
      calls++;
    } while (performance.now() - t0 < 200);
    rates.push((flop * calls) / ((performance.now() - t0) * 1e6));
  }
  return median(rates);
}

function main(): void {
  const { values, help } = parseFlags('bench/tiles', process.argv.slice(2), {
    kc: { type: 'int', min: 1, default: 256, help: 'depth of the panels' },
    tiles: { type: 'string', default: '2x5,5x2,3x4,4x3,3x3,2x6,4x4,3x8,4x8', help: 'comma-separated MRxNR list' },
    reps: { type: 'int', min: 3, default: 7, help: 'timed repetitions (the median is reported)' },
  });
  if (help) {
    process.stdout.write('usage: npx tsx bench/tiles.ts [--kc N] [--tiles 2x5,3x8] [--reps N]\n');
    return;
  }
  const tiles = String(values.tiles).split(',').map((t) => {
    const m = /^(\d+)x(\d+)$/.exec(t.trim());
    if (!m) throw new Error(`bench/tiles: --tiles expects MRxNR like 2x5, got '${t}'`);
    return [Number(m[1]), Number(m[2])] as const;
  });
  const kc = values.kc as number;
  process.stdout.write(`micro-kernel GFLOP/s, kc = ${kc}, median of ${values.reps}; Node ${process.version}\n`);
  process.stdout.write(`${'tile'.padEnd(6)} ${'one array, |0'.padStart(14)} ${'two arrays'.padStart(11)}\n`);
  for (const [MR, NR] of tiles) {
    const one = measure(MR, NR, true, kc, values.reps as number);
    const two = measure(MR, NR, false, kc, values.reps as number);
    process.stdout.write(`${`${MR}×${NR}`.padEnd(6)} ${one.toFixed(2).padStart(14)} ${two.toFixed(2).padStart(11)}\n`);
  }
}

main();
