/**
 * `npm run demo`: builds what the browser page needs (the package with tsc, the MNIST subset, the
 * robustness curves: build.ts) and serves web/ on 127.0.0.1 (serve.ts), printing the address.
 *
 *   npm run demo                  build, then serve on http://127.0.0.1:8080/
 *   npm run demo -- --port 0      any free port (the address is printed)
 *   npm run demo -- --no-build    serve what the last build left
 */
import { CliError, formatHelp, parseFlags, type FlagSpecs } from '../../src/cli/args.ts';
import { buildWeb, WEB } from './build.ts';
import { serveStatic } from './serve.ts';

const FLAGS: FlagSpecs = {
  port: { type: 'int', min: 0, default: 8080, help: 'TCP port on 127.0.0.1 (0 picks a free one)', placeholder: 'N' },
  build: { type: 'bool', default: true, help: 'build the package, the MNIST subset and the curves first (--no-build skips it)' },
};
const HELP = 'Build and serve the browser playground (web/) on 127.0.0.1.';

async function main(argv: readonly string[]): Promise<number> {
  const { values, help } = parseFlags('demo', argv, FLAGS);
  if (help) {
    // The demo is a script of the clone, not a command of the installed `advgrad` bin.
    const help = formatHelp('demo', HELP, FLAGS).replace(/^usage: .*$/m, 'usage: npm run demo -- [flags]');
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (values.build) buildWeb({ log: (line) => process.stderr.write(`${line}\n`) });
  const running = await serveStatic({ root: WEB, port: values.port as number });
  process.stdout.write(`advgrad playground: ${running.url}   (Ctrl-C stops it)\n`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise(() => {}); // serve until stopped
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = (err as Error).message;
    process.stderr.write(`${message.startsWith('demo:') ? message : `demo: ${message}`}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
