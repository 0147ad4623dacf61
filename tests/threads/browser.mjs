// The threads test in Debian's Chromium and Firefox ESR (tests/host/browser.mjs): `node
// tests/threads/browser.mjs chromium|firefox` serves tests/threads/page.html with the test
// module and waits for its "N passed, M failed" title, then prints the page's log. Exits 1
// unless all passed.
import { runPage } from '../host/browser.mjs';

const ENGINE = process.argv[2] ?? 'chromium';
const { title, log, errors, passed } = await runPage(ENGINE, ['tests/threads', 'build/wasm32-threads/tests'],
  'tests/threads/page.html', 120000);
console.log(log);
for (const error of errors) console.log(error);
console.log(`${ENGINE} threads: ${title}`);
process.exit(passed ? 0 : 1);
