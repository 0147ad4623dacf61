// A minimal wasi_snapshot_preview1 host for the programs the walloc tests build with clang and
// wasi-libc. node:wasi is not used because it crashes after heavy memory growth; this host
// reads `memory.buffer` afresh on every call, so a grown (and thus detached) buffer is never
// touched. There is no file system: no directory is preopened, so every path call fails.

import { readFileSync, writeSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { randomFillSync } from 'node:crypto';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_SPIPE = 70;

const FILETYPE_CHARACTER_DEVICE = 2;
// Stdio is reported as a terminal (a character device that cannot seek), so wasi-libc
// line-buffers stdout and a line printed just before a trap is not lost.
const STDIO_RIGHTS = (1n << 1n) | (1n << 3n) | (1n << 6n) | (1n << 27n);

const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const SUBCLOCKFLAGS_ABSTIME = 1;

const EXIT_CODE_ON_TRAP = 134;

class ProcExit {
  constructor(code) {
    this.code = code;
  }
}

// The wasm call stack overflowing and a host call faulting on a bad pointer surface as
// RangeError; both are the program's fault, like a trap.
export function isTrap(error) {
  return error instanceof WebAssembly.RuntimeError || error instanceof RangeError;
}

function writeAllSync(fd, bytes) {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      // A parent may have left the pipe non-blocking; wait for the reader instead of failing.
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

function makeSink(fd, mode) {
  const chunks = [];
  if (!['capture', 'inherit', 'tee'].includes(mode)) throw new Error(`bad output mode: ${mode}`);
  return {
    write(bytes) {
      if (mode !== 'inherit') chunks.push(Buffer.from(bytes));
      if (mode !== 'capture') writeAllSync(fd, bytes);
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

function makeSource(stdin) {
  if (stdin === 'inherit') {
    return (into) => {
      for (;;) {
        try {
          return readSync(0, into);
        } catch (error) {
          if (error.code === 'EAGAIN') continue;
          if (error.code === 'EOF' || error.code === 'EBADF') return 0;
          throw error;
        }
      }
    };
  }
  const data = Buffer.from(stdin ?? '');
  let position = 0;
  return (into) => {
    const count = data.copy(into, 0, position);
    position += count;
    return count;
  };
}

function encodeStrings(strings) {
  return strings.map((s) => Buffer.from(`${s}\0`, 'utf8'));
}

function sleepNanoseconds(ns) {
  if (ns <= 0n) return;
  const ms = Number(ns / 1000000n);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(ms, 1));
}

function nowNanoseconds(clockId) {
  if (clockId === 0) return BigInt(Date.now()) * 1000000n;
  return process.hrtime.bigint();
}

// Builds the import object for one program run. `getMemory` is called on every access
// because the memory only exists once the instance does.
export function createWasiImports({ argv, env, stdin, stdout, stderr, getMemory }) {
  const argBytes = encodeStrings(argv);
  const envBytes = encodeStrings(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  const sinks = { 1: stdout, 2: stderr };
  const readStdin = makeSource(stdin);
  const view = () => new DataView(getMemory().buffer);
  const bytesAt = (ptr, len) => new Uint8Array(getMemory().buffer, ptr, len);
  const isStdio = (fd) => fd >= 0 && fd <= 2;

  function putStrings(strings, pointersPtr, bufferPtr) {
    const memory = view();
    let cursor = bufferPtr;
    strings.forEach((bytes, i) => {
      memory.setUint32(pointersPtr + 4 * i, cursor, true);
      bytesAt(cursor, bytes.length).set(bytes);
      cursor += bytes.length;
    });
    return ERRNO_SUCCESS;
  }

  function putSizes(strings, countPtr, sizePtr) {
    const memory = view();
    memory.setUint32(countPtr, strings.length, true);
    memory.setUint32(sizePtr, strings.reduce((sum, b) => sum + b.length, 0), true);
    return ERRNO_SUCCESS;
  }

  function iovecs(iovsPtr, iovsLen) {
    const memory = view();
    const list = [];
    for (let i = 0; i < iovsLen; i++) {
      const buf = memory.getUint32(iovsPtr + 8 * i, true);
      const len = memory.getUint32(iovsPtr + 8 * i + 4, true);
      list.push(bytesAt(buf, len));
    }
    return list;
  }

  function pollOneoff(inPtr, outPtr, count, eventCountPtr) {
    if (count === 0) return ERRNO_INVAL;
    const memory = view();
    // Stdio is always ready, so only a poll made of clocks alone has to wait: until the
    // earliest of them expires. Every subscription is then reported as having fired.
    let wait = null;
    for (let i = 0; i < count; i++) {
      const sub = inPtr + SUBSCRIPTION_SIZE * i;
      if (memory.getUint8(sub + 8) !== EVENTTYPE_CLOCK) {
        wait = 0n;
        break;
      }
      const clockId = memory.getUint32(sub + 16, true);
      let timeout = memory.getBigUint64(sub + 24, true);
      if (memory.getUint16(sub + 40, true) & SUBCLOCKFLAGS_ABSTIME) {
        timeout -= nowNanoseconds(clockId);
      }
      if (wait === null || timeout < wait) wait = timeout;
    }
    sleepNanoseconds(wait);
    const after = view();
    for (let i = 0; i < count; i++) {
      const sub = inPtr + SUBSCRIPTION_SIZE * i;
      const event = outPtr + EVENT_SIZE * i;
      after.setBigUint64(event, after.getBigUint64(sub, true), true);
      after.setUint16(event + 8, ERRNO_SUCCESS, true);
      after.setUint8(event + 10, after.getUint8(sub + 8));
      after.setBigUint64(event + 16, 0n, true);
      after.setUint16(event + 24, 0, true);
    }
    after.setUint32(eventCountPtr, count, true);
    return ERRNO_SUCCESS;
  }

  return {
    args_get: (argvPtr, bufPtr) => putStrings(argBytes, argvPtr, bufPtr),
    args_sizes_get: (countPtr, sizePtr) => putSizes(argBytes, countPtr, sizePtr),
    environ_get: (envPtr, bufPtr) => putStrings(envBytes, envPtr, bufPtr),
    environ_sizes_get: (countPtr, sizePtr) => putSizes(envBytes, countPtr, sizePtr),

    fd_write(fd, iovsPtr, iovsLen, writtenPtr) {
      const sink = sinks[fd];
      if (!sink) return ERRNO_BADF;
      let written = 0;
      for (const bytes of iovecs(iovsPtr, iovsLen)) {
        sink.write(bytes);
        written += bytes.length;
      }
      view().setUint32(writtenPtr, written, true);
      return ERRNO_SUCCESS;
    },
    fd_read(fd, iovsPtr, iovsLen, readPtr) {
      if (fd !== 0) return ERRNO_BADF;
      let total = 0;
      for (const into of iovecs(iovsPtr, iovsLen)) {
        const count = readStdin(into);
        total += count;
        if (count < into.length) break;
      }
      view().setUint32(readPtr, total, true);
      return ERRNO_SUCCESS;
    },
    fd_close: (fd) => (isStdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF),
    fd_seek: (fd) => (isStdio(fd) ? ERRNO_SPIPE : ERRNO_BADF),
    fd_fdstat_get(fd, statPtr) {
      if (!isStdio(fd)) return ERRNO_BADF;
      const memory = view();
      memory.setUint8(statPtr, FILETYPE_CHARACTER_DEVICE);
      memory.setUint16(statPtr + 2, 0, true);
      memory.setBigUint64(statPtr + 8, STDIO_RIGHTS, true);
      memory.setBigUint64(statPtr + 16, 0n, true);
      return ERRNO_SUCCESS;
    },
    fd_fdstat_set_flags: (fd) => (isStdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF),
    fd_prestat_get: () => ERRNO_BADF,
    fd_prestat_dir_name: () => ERRNO_BADF,

    proc_exit(code) {
      throw new ProcExit(code);
    },
    clock_time_get(clockId, _precision, timePtr) {
      if (clockId > 3) return ERRNO_INVAL;
      view().setBigUint64(timePtr, nowNanoseconds(clockId), true);
      return ERRNO_SUCCESS;
    },
    clock_res_get(clockId, resolutionPtr) {
      if (clockId > 3) return ERRNO_INVAL;
      view().setBigUint64(resolutionPtr, clockId === 0 ? 1000000n : 1n, true);
      return ERRNO_SUCCESS;
    },
    random_get(bufPtr, len) {
      randomFillSync(bytesAt(bufPtr, len));
      return ERRNO_SUCCESS;
    },
    sched_yield: () => ERRNO_SUCCESS,
    poll_oneoff: pollOneoff,
  };
}

// Every WASI function the module imports but this host does not implement (paths, sockets,
// file metadata...) answers ENOSYS instead of failing the link.
function completeImports(module, implemented) {
  const wasi = { ...implemented };
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module === 'wasi_snapshot_preview1' && entry.kind === 'function' && !(entry.name in wasi)) {
      wasi[entry.name] = () => ERRNO_NOSYS;
    }
  }
  return wasi;
}

export async function compileWasm(wasmPathOrBytes) {
  if (wasmPathOrBytes instanceof WebAssembly.Module) return wasmPathOrBytes;
  const bytes = typeof wasmPathOrBytes === 'string' ? readFileSync(wasmPathOrBytes) : wasmPathOrBytes;
  return WebAssembly.compile(bytes);
}

// Runs a wasm32-wasi command module to completion.
//   wasmPathOrBytes: a file path, the bytes, or an already compiled WebAssembly.Module.
//   args: arguments after argv[0]; argv0 defaults to the file's basename.
//   env: object of environment variables (default empty, so runs are reproducible).
//   stdin: a string or bytes to read (default: immediate EOF), or 'inherit'.
//   stdout, stderr: 'capture' (default), 'inherit' (pass through) or 'tee' (both).
//   extraImports: { moduleName: { name: value } } merged over the WASI imports.
// Resolves to { exitCode, trap, stdout, stderr, memoryBytes, elapsedMs, module, instance }:
// trap is the trap's message or null, and exitCode is 134 after a trap; stdout and stderr
// hold the captured text ('' when not captured); elapsedMs times _start alone.
export async function runWasi(wasmPathOrBytes, options = {}) {
  const {
    args = [],
    argv0 = typeof wasmPathOrBytes === 'string' ? basename(wasmPathOrBytes) : 'main.wasm',
    env = {},
    stdin,
    stdout = 'capture',
    stderr = 'capture',
    extraImports = {},
  } = options;
  const module = await compileWasm(wasmPathOrBytes);
  const stdoutSink = makeSink(1, stdout);
  const stderrSink = makeSink(2, stderr);
  let instance;
  const wasi = createWasiImports({
    argv: [argv0, ...args],
    env,
    stdin,
    stdout: stdoutSink,
    stderr: stderrSink,
    getMemory: () => instance.exports.memory,
  });
  const imports = { ...extraImports };
  imports.wasi_snapshot_preview1 = { ...completeImports(module, wasi), ...extraImports.wasi_snapshot_preview1 };
  instance = await WebAssembly.instantiate(module, imports);
  if (!(instance.exports.memory instanceof WebAssembly.Memory)) throw new Error('module exports no memory');
  if (typeof instance.exports._start !== 'function') throw new Error('module has no _start (not a command)');

  let exitCode = 0;
  let trap = null;
  const start = performance.now();
  try {
    instance.exports._start();
  } catch (error) {
    if (error instanceof ProcExit) {
      exitCode = error.code;
    } else if (isTrap(error)) {
      trap = error.message;
      exitCode = EXIT_CODE_ON_TRAP;
    } else {
      throw error;
    }
  }
  const elapsedMs = performance.now() - start;
  return {
    exitCode,
    trap,
    stdout: stdoutSink.text(),
    stderr: stderrSink.text(),
    memoryBytes: instance.exports.memory.buffer.byteLength,
    elapsedMs,
    module,
    instance,
  };
}
