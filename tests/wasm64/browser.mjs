// The wasm64 suite in Debian's Chromium (tests/host/browser.mjs): serves tests/wasm64/page.html
// (or the page named as the argument: c-page.html runs walloc's C tests built for wasm64) and
// the modules wasm64.mk links, waits for the page's "N passed, M failed" title and prints the
// page's log. Chromium runs a memory64 module without flags and grows it to V8's 16 GiB.
import { runPage } from '../host/browser.mjs';

const PAGE = process.argv[2] ?? 'page.html';
const { title, log, errors, passed } = await runPage('chromium', ['tests/wasm64', 'build/wasm64/tests', 'build/wasm64-test'],
  `tests/wasm64/${PAGE}`, 180000);
console.log(log);
for (const error of errors) console.log(error);
console.log(`chromium (${PAGE}): ${title}`);
process.exit(passed ? 0 : 1);
