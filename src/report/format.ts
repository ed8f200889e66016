/**
 * How the reports write numbers: metrics with 4 decimals, differences with their sign, counts with
 * thousands separators, ε in grey levels, percentages and seconds. "n/a" stands for a value that
 * is not finite (a confidence averaged over an empty set is NaN, null in results.json).
 */
import { PIXEL_RANGE } from '../attacks/fgsm.ts';

/** A metric with 4 decimals, or "n/a" when it is NaN (or otherwise not finite). */
export function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : 'n/a';
}

/** ours − paper, signed, 4 decimals ("+0.0012", "-0.0300", "+0.0000"), or "n/a". */
export function formatDifference(ours: number, paper: number): string {
  const difference = ours - paper;
  if (!Number.isFinite(difference)) return 'n/a';
  const text = Math.abs(difference).toFixed(4);
  // A difference that rounds to zero gets '+', so "-0.0000" never appears.
  return (difference < 0 && Number(text) !== 0 ? '-' : '+') + text;
}

/** Rounded to 4 decimals, for the terminal and JSON (NaN stays NaN, null in JSON). */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** A number for prose: integers with thousands separators, others as given. */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/** ε in grey levels, without trailing zeros: 0.25 → "63.75", 0.1 → "25.5", 0.3 → "76.5". */
export function greyLevels(eps: number): string {
  return String(Number((eps * PIXEL_RANGE).toFixed(6)));
}

/** 0.9858 → "98.58%", or "n/a". */
export function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(2)}%` : 'n/a';
}

/** Seconds with one decimal, and as "h min s" from a minute up: 600.25 → "600.3 (10 min 0 s)". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  const whole = Math.round(seconds);
  if (whole < 60) return seconds.toFixed(1);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  return `${seconds.toFixed(1)} (${hours > 0 ? `${hours} h ` : ''}${minutes} min ${whole % 60} s)`;
}

/** "1 epoch", "3 epochs". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Escapes the characters that would break a Markdown table cell. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A duration for the terminal: 75 → "1:15", 3725 → "1:02:05", "?" when not known. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
