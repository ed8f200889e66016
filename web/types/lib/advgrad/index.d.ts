// Types of the built library the page imports (./lib/advgrad/, copied from dist/ by `npm run demo`,
// not committed): the sources it is built from, so that `npm run typecheck` checks web/*.js on a
// fresh clone without a build (tsconfig.web.json maps ./lib/ here through rootDirs).
export * from '../../../../src/index.ts';
