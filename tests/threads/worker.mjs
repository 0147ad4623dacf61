// One thread of the threads test (and of bench/threads): a worker (node worker_threads or a browser Web Worker) that
// instantiates the test module on the shared memory, becomes a walloc thread with the stack and
// thread-local block the first thread gave it (tests/threads/wasm.c), and runs what it is told.
// A trap is answered with its message and walloc's last error, not thrown.
const port = typeof self === 'undefined' ? (await import('node:worker_threads')).parentPort : self;
const listen = (fn) => (port.on ? port.on('message', fn) : port.addEventListener('message', (e) => fn(e.data)));

let exports;
let memory;

function cString(address) {
  const bytes = new Uint8Array(memory.buffer);
  let end = address;
  while (bytes[end]) end++;
  return new TextDecoder().decode(bytes.slice(address, end));
}

function answer(fn) {
  try {
    return { result: fn() ?? 0 };
  } catch (error) {
    return { trap: String(error.message ?? error), lastError: exports?.last_error ? cString(exports.last_error()) : '' };
  }
}

listen(async (message) => {
  let reply;
  if (message.op === 'init') {
    memory = message.memory;
    const instance = await WebAssembly.instantiate(message.module, { env: { memory } });
    exports = instance.exports;
    const top = message.area + message.stack;
    exports.__stack_pointer.value = top;
    reply = answer(() => exports.thread_init(top));
  } else if (message.op === 'run') {
    reply = answer(() => exports.run(message.scenario, message.id));
  } else if (message.op === 'double-free') {
    reply = answer(() => exports.double_free(message.id));
  } else if (message.op === 'failure') {
    reply = { result: cString(exports.failure()) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
