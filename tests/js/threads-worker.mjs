// A node worker for tests/js/threads.test.mjs: joins a WallocThreads heap and does what it is
// told, one message at a time, answering { result } or { error: { name, message } }:
//   { op: 'join', handoff }                          joins the heap
//   { op: 'call', method, args }                     a method of its heap object (result: its value)
//   { op: 'churn', inbound, outbound, id, ops }      demo/churn.mjs's churn over two Ring buffers
//   { op: 'free-together', ptr, barrier, parties }   frees ptr once `parties` workers arrived
import { parentPort } from 'node:worker_threads';
import { WallocThreads } from '../../js/index.mjs';
import { churn, Ring } from '../../demo/churn.mjs';

let heap;

const ops = {
  async join({ handoff }) {
    heap = await WallocThreads.join(handoff);
  },
  call({ method, args }) {
    return heap[method](...args);
  },
  churn({ inbound, outbound, id, ops: count }) {
    return churn(heap, { id, inbound: new Ring(inbound), outbound: new Ring(outbound), ops: count });
  },
  // The workers spin until all arrived, so that their frees meet inside walloc.
  'free-together'({ ptr, barrier, parties }) {
    const arrived = new Int32Array(barrier);
    Atomics.add(arrived, 0, 1);
    while (Atomics.load(arrived, 0) < parties);
    heap.free(ptr);
  },
};

parentPort.on('message', async (message) => {
  try {
    parentPort.postMessage({ result: await ops[message.op](message) });
  } catch (error) {
    parentPort.postMessage({ error: { name: error.name, message: error.message } });
  }
});
