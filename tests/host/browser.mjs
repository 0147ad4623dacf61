// Debian's browsers for the page tests, with no browser downloaded: chromium driven by
// playwright-core, Firefox ESR (SpiderMonkey) by puppeteer-core over WebDriver BiDi, both from
// `npm ci` in tests/js/. launch() gives either as { newPage(), close() }, whose pages take the
// same calls; runPage() serves directories of the repository (demo/serve.mjs, cross-origin
// isolated), opens a page that sets its title to "N passed, M failed" when done, and returns
// that title, the text of its #log and the page errors seen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../demo/serve.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const modules = new URL('../js/node_modules/', import.meta.url);
const SUMMARY = /^(\d+) passed, (\d+) failed$/;

/** `engine` ('chromium' or 'firefox') on the profile directory `profile`. */
export async function launch(engine, profile, viewport) {
  if (engine === 'firefox') {
    const { default: puppeteer } = await import(new URL('puppeteer-core/lib/esm/puppeteer/puppeteer-core.js', modules));
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true,
      defaultViewport: viewport, userDataDir: profile });
    return { newPage: () => browser.newPage(), close: () => browser.close() };
  }
  if (engine !== 'chromium') throw new Error(`unknown engine ${engine}: chromium or firefox`);
  const { chromium } = await import(new URL('playwright-core/index.mjs', modules));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, viewport });
  return { newPage: () => context.newPage(), close: () => context.close() };
}

/** Serves `dirs`, opens `path` in `engine` and waits up to `timeoutMs` for its summary title. */
export async function runPage(engine, dirs, path, timeoutMs) {
  const { server, url } = await serve(0, undefined, dirs);
  const profile = mkdtempSync(join(tmpdir(), `walloc-${engine}-`));
  const browser = await launch(engine, profile);
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    await page.goto(`${url}/${path}`);
    let title;
    for (const start = Date.now(); !SUMMARY.test(title = await page.evaluate(() => document.title));) {
      if (Date.now() - start > timeoutMs) throw new Error(`${engine}: ${path} did not finish in ${timeoutMs} ms`);
      await sleep(100);
    }
    const log = await page.evaluate(() => document.getElementById('log').textContent);
    return { title, log, errors, passed: title.endsWith(' 0 failed') && errors.length === 0 };
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
