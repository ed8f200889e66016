// src/train/train.ts yields to the event loop with setImmediate, which a browser does not have
// (the house issue's browser-safe core removes it). Declared here only so that the page's type
// check passes meanwhile; delete this file once train.ts no longer names setImmediate, and the
// check will then prove the page's import graph free of it.
declare function setImmediate(callback: () => void): unknown;
