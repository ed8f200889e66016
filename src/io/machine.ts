/**
 * The machine a run ran on, as results.json records it: the Node version, the CPUs, the platform
 * and the date. Node only.
 */
import { cpus } from 'node:os';
import type { Results } from '../report/results.ts';

/** This machine and the current date. */
export function machine(): NonNullable<Results['machine']> {
  return { node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`, platform: `${process.platform} ${process.arch}`, date: new Date().toISOString() };
}
