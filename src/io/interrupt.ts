/**
 * Stopping a long run cleanly on Ctrl-C: the first SIGINT (or SIGTERM) aborts an AbortSignal, so
 * training stops after the current step with finished checkpoints intact; a second one exits the
 * process at once with code 130.
 */

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM with `reason(signal)` as its reason,
 * after saying so on `progress`; `dispose` removes the handlers.
 */
export function interruptSignal(progress: { note(text: string): void }, reason: (signal: NodeJS.Signals) => Error): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count > 1) process.exit(130);
    progress.note('stopping after the current step (Ctrl-C again to quit at once)…');
    controller.abort(reason(sig));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
