// Every test file starts the tensor engine the same way the CLI does (wasm where tfjs-node is absent).
// The fallback notice is dropped here: it would repeat in every file's output, and its own tests
// (test/main/engine/fallback.test.ts) check it where the CLI prints it.
import { initEngine } from '../src-main/engine/backend.js';

await initEngine(undefined, { onNotice: () => {} });
