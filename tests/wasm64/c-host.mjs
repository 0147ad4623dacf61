// The five WASI calls tests/wasm64/libc asks of its host (fd_write, proc_exit, args_sizes_get,
// args_get, random_get), with nothing node-only in them, so that walloc's C tests built for
// wasm64 run in a browser page (c-page.html). Addresses are 32-bit offsets, laid out as on
// wasm32, and the memory's buffer is read anew on every call, as it moves when memory grows.

class Exit {
  constructor(code) { this.code = code; }
}

// Runs `module` (a compiled test program) with `args` after its name; resolves to
// { exitCode, trap, stdout, stderr }, where trap is the message of a trap or null.
export async function runProgram(module, name, args = []) {
  const argv = [name, ...args].map((a) => new TextEncoder().encode(`${a}\0`));
  const output = { 1: [], 2: [] };
  let memory;
  const view = () => new DataView(memory.buffer);
  const wasi = {
    fd_write(fd, iovs, count, written) {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const at = view().getUint32(iovs + 8 * i, true), length = view().getUint32(iovs + 8 * i + 4, true);
        (output[fd] ?? output[2]).push(new Uint8Array(memory.buffer, at, length).slice());
        total += length;
      }
      view().setUint32(written, total, true);
      return 0;
    },
    proc_exit(code) { throw new Exit(code); },
    args_sizes_get(count, bytes) {
      view().setUint32(count, argv.length, true);
      view().setUint32(bytes, argv.reduce((sum, a) => sum + a.length, 0), true);
      return 0;
    },
    args_get(pointers, buffer) {
      for (const [i, a] of argv.entries()) {
        view().setUint32(pointers + 4 * i, buffer, true);
        new Uint8Array(memory.buffer, buffer, a.length).set(a);
        buffer += a.length;
      }
      return 0;
    },
    random_get(buffer, length) {
      crypto.getRandomValues(new Uint8Array(memory.buffer, buffer, length));
      return 0;
    },
  };
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi });
  memory = instance.exports.memory;
  let exitCode = 0, trap = null;
  try {
    instance.exports._start();
  } catch (error) {
    if (error instanceof Exit) exitCode = error.code;
    else if (error instanceof WebAssembly.RuntimeError) [exitCode, trap] = [134, error.message];
    else throw error;
  }
  const text = (chunks) => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return { exitCode, trap, stdout: text(output[1]), stderr: text(output[2]) };
}

// Judges one death scenario's run as tests/death.sh does: it must trap with exactly one
// `walloc: <kind> of 0x<hex>` line naming the pointer (and kind) the scenario announced, or,
// announcing `expect-kind none`, exit 0 with no report. Returns null, or what went wrong.
export function judgeDeath(result) {
  const kind = /^expect-kind (.*)$/m.exec(result.stdout)?.[1];
  const pointer = /^expect-pointer 0x([0-9a-fA-F]+)$/m.exec(result.stdout)?.[1];
  const reports = result.stderr.split('\n').filter((line) => line.startsWith('walloc: '));
  if (kind === 'none') {
    if (result.exitCode !== 0) return `exit status ${result.exitCode}, not 0`;
    return reports.length ? `walloc reported ${reports[0]} where it must refuse quietly` : null;
  }
  if (result.exitCode !== 134) return `exit status ${result.exitCode}, not a trap`;
  if (!pointer) return 'the scenario did not reach its misuse';
  if (reports.length !== 1) return `${reports.length} lines start with 'walloc: ', not one`;
  const form = /^walloc: (.*) (?:of|past) 0x([0-9a-fA-F]+)(?: \(canary\))?$/.exec(reports[0]);
  if (!form) return `the report ${reports[0]} is not 'walloc: <kind> of 0x<hex>'`;
  if (BigInt(`0x${form[2]}`) !== BigInt(`0x${pointer}`)) return `the report names 0x${form[2]}, the bad pointer was 0x${pointer}`;
  if (kind !== 'any' && form[1] !== kind) return `the report says '${form[1]}', expected '${kind}'`;
  return null;
}
