// A small static server for the browser demo: serves js/ and demo/ of the repository on
// localhost only. `node demo/serve.mjs [port]` (default 8080) or import { serve }, which can
// serve another directory too (the browser test serves a project that installed the package).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

async function answer(request, response, root, served) {
  const { pathname } = new URL(request.url, 'http://localhost');
  if (pathname === '/' || pathname === '/demo') {
    response.writeHead(302, { location: '/demo/' });
    return response.end();
  }
  const path = resolve(root, `.${decodeURIComponent(pathname)}${pathname.endsWith('/') ? 'index.html' : ''}`);
  if (request.method !== 'GET' || !served.some((dir) => path.startsWith(dir))) {
    response.writeHead(404);
    return response.end('not found');
  }
  try {
    const body = await readFile(path);
    // Cross-origin isolation, without which browsers give a page no SharedArrayBuffer: the
    // threads build runs on a shared WebAssembly.Memory. Everything served is same-origin.
    response.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    response.end(body);
  } catch {
    response.writeHead(404);
    response.end('not found');
  }
}

/** Starts the server on 127.0.0.1; port 0 picks a free one. Serves the directories `dirs` of
 * `root` (the repository's js/ and demo/ unless told). Resolves to { server, url }. */
export function serve(port = 8080, root = ROOT, dirs = ['js', 'demo']) {
  const served = dirs.map((dir) => resolve(root, dir) + sep);
  return new Promise((done, fail) => {
    const server = createServer((request, response) => {
      answer(request, response, root, served).catch(() => response.destroy());
    });
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(Number(process.argv[2] ?? process.env.PORT ?? 8080));
  console.log(`walloc demo: ${url}/demo/  (Ctrl-C stops)`);
}
