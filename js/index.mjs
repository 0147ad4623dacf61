// index.mjs - the package's entry: Walloc and everything else of walloc.mjs, and WallocThreads
// (threads.mjs). threads.mjs extends walloc.mjs's class, so walloc.mjs cannot re-export it: each
// would import the other, and whichever ran first would meet the other's class not yet defined.
export * from './walloc.mjs';
export { default } from './walloc.mjs';
export { WallocThreads } from './threads.mjs';
