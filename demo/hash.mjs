// FNV-1a over bytes, 32-bit: how the demo and its asset generator fingerprint asset contents.
export function fnv1a(bytes) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash;
}
