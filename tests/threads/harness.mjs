// The main thread of the threads test, for node (tests/threads/run.mjs) and browsers
// (tests/threads/page.html): instantiates the test module (tests/threads/wasm.c) on a shared
// memory, starts one worker per thread (tests/threads/worker.mjs), runs every scenario on 1, 2
// and 4 of them at once and verifies the heap after each, then makes every worker free one
// block at once: all but one must trap with walloc's report naming that block.
const STACK = 256 << 10;

/** Runs the test; `newWorker()` makes a worker from worker.mjs, `log(line)` prints. Returns
 * { passed, failed } and logs `N passed, M failed` last. */
export async function runThreadsTest(bytes, newWorker, log, counts = [1, 2, 4]) {
  const module = await WebAssembly.compile(bytes);
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096, shared: true });
  const first = (await WebAssembly.instantiate(module, { env: { memory } })).exports;
  const text = (address) => {
    const bytes = new Uint8Array(memory.buffer);
    let end = address;
    while (bytes[end]) end++;
    return new TextDecoder().decode(bytes.slice(address, end));
  };
  let passed = 0;
  let failed = 0;
  const expect = (ok, what) => {
    if (ok) passed++;
    else {
      failed++;
      log(`FAIL ${what}`);
    }
    return ok;
  };
  if (first.first_thread_init() !== 0) throw new Error('thread-local block too large for first_tls');

  const workers = [];
  for (let i = 0; i < Math.max(...counts); i++) workers.push(await start(newWorker()));
  try {
    for (const [i, worker] of workers.entries()) {
      const reply = await worker.call({ op: 'init', module, memory, area: first.thread_area(STACK), stack: STACK });
      expect(reply.result === 0 && !reply.trap, `worker ${i} init: ${JSON.stringify(reply)}`);
    }
    const scenarios = Array.from({ length: first.scenario_count() }, (_, i) => text(first.scenario_name(i)));
    for (const count of counts) {
      for (const [s, name] of scenarios.entries()) {
        const label = `${name} on ${count} thread${count > 1 ? 's' : ''}`;
        if (!expect(first.setup(count) === 0, `${label}: setup: ${text(first.failure())}`)) continue;
        const replies = await Promise.all(workers.slice(0, count).map((w, id) => w.call({ op: 'run', scenario: s, id })));
        const bad = replies.find((r) => r.trap || r.result !== 0);
        const verified = bad ? -1 : first.verify(s);
        if (expect(!bad && verified === 0, `${label}: ${bad ? JSON.stringify(bad) : `verify ${verified}`}: ${text(first.failure())}`))
          log(`ok ${label}`);
      }
    }
    // Last: the heap is not usable after a fatal report.
    const count = workers.length;
    first.setup(count);
    const report = `walloc: double free of 0x${(first.target() >>> 0).toString(16)}`;
    const replies = await Promise.all(workers.map((w, id) => w.call({ op: 'double-free', id })));
    const traps = replies.filter((r) => r.trap);
    if (expect(traps.length === count - 1 && traps.every((r) => r.lastError === report),
      `double free from ${count} threads at once: ${JSON.stringify(replies)}, expected ${count - 1} traps with "${report}"`))
      log(`ok double free from ${count} threads at once: ${count - 1} reported "${report}"`);
  } finally {
    for (const worker of workers) worker.terminate();
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

// Wraps a worker into call(message) -> reply, once it said it is ready.
function start(worker) {
  const on = (fn) => (worker.on ? worker.on('message', fn) : worker.addEventListener('message', (e) => fn(e.data)));
  let pending = null;
  return new Promise((ready) => {
    on((message) => {
      if (message?.ready) return ready({ call, terminate: () => worker.terminate() });
      const resolve = pending;
      pending = null;
      resolve(message);
    });
  });
  function call(message) {
    return new Promise((resolve) => {
      pending = resolve;
      worker.postMessage(message);
    });
  }
}
