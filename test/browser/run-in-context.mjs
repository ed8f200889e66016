// Runs the "." entry (src/index.ts) inside a node:vm context that holds only what a browser offers,
// and there the scenario passed as argv[2] (the body of an async function of `ag`, the entry's
// exports); prints its result as JSON. Needs `node --experimental-vm-modules` (vm.SourceTextModule).
// Each module is transpiled on its own with TypeScript (types erased, nothing else changed) and
// linked by relative path; any other import (a Node built-in, a package) fails the run, as it
// would in a browser.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = resolve(root, 'src/index.ts');

// What a browser page or a web worker has, beyond the language's own built-ins (typed arrays, Math,
// Promise, SharedArrayBuffer, Atomics, … come with every new context): no process, setImmediate,
// Buffer, require, global, __dirname.
const context = vm.createContext({ setTimeout, clearTimeout, MessageChannel, queueMicrotask, performance, console, TextEncoder, TextDecoder });

const modules = new Map();
function load(file) {
  let module = modules.get(file);
  if (module === undefined) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    module = new vm.SourceTextModule(outputText, { identifier: file, context });
    modules.set(file, module);
  }
  return module;
}

function link(specifier, referencing) {
  if (specifier === 'advgrad') return load(entry);
  if (!specifier.startsWith('.')) throw new Error(`${referencing.identifier} imports '${specifier}', which a browser cannot resolve`);
  return load(resolve(dirname(referencing.identifier), specifier));
}

const main = new vm.SourceTextModule(
  `import * as ag from 'advgrad';
const missing = ['process', 'setImmediate', 'Buffer', 'require', 'global', '__dirname'].filter((name) => typeof globalThis[name] !== 'undefined');
if (missing.length > 0) throw new Error('the context has Node globals: ' + missing.join(', '));
globalThis.result = await (async (ag) => {${process.argv[2]}})(ag);`,
  { identifier: 'scenario', context },
);
await main.link(link);
await main.evaluate();
process.stdout.write(JSON.stringify({ result: context.result, modules: modules.size }));
