// Instantiates a freestanding module (linked against build/wasm32/libwalloc.a with --no-entry
// and --export=...) in node, with no imports at all or only the memory it asks for.

import { readFileSync } from 'node:fs';
import { isTrap } from './wasi-host.mjs';

const IMPORT_SECTION = 2;
const KIND_FUNCTION = 0;
const KIND_TABLE = 1;
const KIND_MEMORY = 2;
const KIND_GLOBAL = 3;
const KIND_TAG = 4;
const LIMITS_HAS_MAXIMUM = 1;
const LIMITS_SHARED = 2;

// node cannot report the limits of an imported memory (no type reflection), yet the memory
// handed in must be at least that large, so they are read from the binary's import section.
function importedMemoryLimits(bytes) {
  let at = 8;
  const byte = () => bytes[at++];
  const leb = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  const name = () => {
    const length = leb();
    at += length;
    return Buffer.from(bytes.subarray(at - length, at)).toString('utf8');
  };
  const limits = () => {
    const flags = byte();
    const initial = leb();
    const maximum = flags & LIMITS_HAS_MAXIMUM ? leb() : undefined;
    return { initial, maximum, shared: (flags & LIMITS_SHARED) !== 0 };
  };
  while (at < bytes.length) {
    const id = byte();
    const size = leb();
    if (id !== IMPORT_SECTION) {
      at += size;
      continue;
    }
    for (let count = leb(); count > 0; count--) {
      const module = name();
      const field = name();
      const kind = byte();
      if (kind === KIND_MEMORY) return { module, field, ...limits() };
      if (kind === KIND_FUNCTION) leb();
      else if (kind === KIND_TABLE) { byte(); limits(); }
      else if (kind === KIND_GLOBAL) at += 2;
      else if (kind === KIND_TAG) { byte(); leb(); }
      else throw new Error(`unknown import kind ${kind}`);
    }
    return null;
  }
  return null;
}

// Resolves to { module, instance, exports, memory }. `imports` ({ module: { name: value } })
// may supply anything the module imports; an imported memory not supplied there is created
// with the limits the module declares. Calls _initialize when the module has one (reactors).
export async function instantiateFreestanding(wasmPathOrBytes, { imports = {} } = {}) {
  const bytes = typeof wasmPathOrBytes === 'string' ? readFileSync(wasmPathOrBytes) : new Uint8Array(wasmPathOrBytes);
  const module = await WebAssembly.compile(bytes);
  const given = Object.fromEntries(Object.entries(imports).map(([name, fields]) => [name, { ...fields }]));
  const memoryImport = importedMemoryLimits(bytes);
  if (memoryImport && given[memoryImport.module]?.[memoryImport.field] === undefined) {
    const { module: moduleName, field, ...descriptor } = memoryImport;
    given[moduleName] = { ...given[moduleName], [field]: new WebAssembly.Memory(descriptor) };
  }
  const missing = WebAssembly.Module.imports(module)
    .filter(({ module: moduleName, name }) => given[moduleName]?.[name] === undefined)
    .map(({ module: moduleName, name, kind }) => `${moduleName}.${name} (${kind})`);
  if (missing.length > 0) throw new Error(`module needs imports it was not given: ${missing.join(', ')}`);

  const instance = await WebAssembly.instantiate(module, given);
  const memory = instance.exports.memory ?? given[memoryImport?.module]?.[memoryImport?.field];
  if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
  return { module, instance, exports: instance.exports, memory };
}

// Calls `thunk` and returns the message of the trap it raised, or null when it returned.
export function trapMessage(thunk) {
  try {
    thunk();
    return null;
  } catch (error) {
    if (isTrap(error)) return error.message;
    throw error;
  }
}

// Reads the NUL-terminated UTF-8 string at `ptr` (e.g. what walloc_last_error() returns).
export function readCString(memory, ptr) {
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, ptr);
  if (end < 0) throw new RangeError(`no NUL after 0x${ptr.toString(16)}`);
  return Buffer.from(bytes.subarray(ptr, end)).toString('utf8');
}
