// Runs rust/examples/heap_test.rs (walloc as Rust's global allocator) under node, once per
// build of the library, and the words example: node rust/test.mjs <dir of the .wasm files>.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const dir = process.argv[2];
let failures = 0;
const fail = (what) => { console.error(`FAIL ${what}`); failures++; };

function instantiate(file) {
  const module = new WebAssembly.Module(readFileSync(join(dir, file)));
  if (WebAssembly.Module.imports(module).length !== 0) fail(`${file} imports nothing`);
  return new WebAssembly.Instance(module, {}).exports;
}

// Runs `call`, which must trap, and returns walloc's message from the trapped module.
function trapMessage(heap, call) {
  try {
    call();
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const length = heap.fetch_error();
    return Buffer.from(heap.memory.buffer, heap.error_text(), length).toString();
  }
  return null;
}

for (const [file, secure] of [['heap_test.wasm', false], ['heap_test-secure.wasm', true]]) {
  const heap = instantiate(file);
  if (heap.seed_heap(randomBytes(8).readBigUInt64LE()) !== 0) fail(`${file}: seed before use`);
  const scenarios = [
    ['collections', () => heap.collections(3000)],
    ['vec_growth', () => heap.vec_growth(2_000_000)],
    ['alignment', () => heap.alignment()],
    ['exhaustion', () => heap.exhaustion()],
  ];
  for (const [name, run] of scenarios) {
    const code = run();
    if (code !== 0) fail(`${file}: ${name} failed check ${code}`);
    else console.log(`ok ${file}: ${name}`);
  }
  if (heap.seed_heap(1n) === 0 && secure) fail(`${file}: a seed after use must be refused`);

  const block = heap.freed_block();
  const hex = `0x${block.toString(16)}`;
  const doubleFree = trapMessage(heap, () => heap.free_again(block));
  if (doubleFree !== `walloc: double free of ${hex}`) fail(`${file}: double free reported as ${JSON.stringify(doubleFree)}`);
  else console.log(`ok ${file}: ${doubleFree}`);

  if (secure) {
    const fresh = instantiate(file);
    let address = null;
    const overflow = trapMessage(fresh, () => { address = fresh.overflow(); });
    if (!overflow || !/^walloc: heap overflow past 0x[0-9a-f]+ \(canary\)$/.test(overflow)) {
      fail(`${file}: overflow of block ${address} reported as ${JSON.stringify(overflow)}`);
    } else console.log(`ok ${file}: ${overflow}`);
  }
}

// The README's example: distinct words of a text written into a buffer the module allocated.
const words = instantiate('words.wasm');
const text = Buffer.from('the quick brown fox jumps over the lazy dog; The DOG sleeps. ' .repeat(500));
const buffer = words.text_buffer(text.length);
new Uint8Array(words.memory.buffer, buffer, text.length).set(text);
const distinct = words.distinct_words(buffer, text.length);
if (distinct !== 9) fail(`words: ${distinct} distinct words, expected 9`);
if (words.live_bytes() !== 0) fail(`words: ${words.live_bytes()} bytes still live`);
else console.log(`ok words.wasm: ${distinct} distinct words, nothing left live`);

if (failures) {
  console.error(`rust: ${failures} failure(s)`);
  process.exit(1);
}
console.log('rust: all passed');
