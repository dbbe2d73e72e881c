// Every test file starts the tensor engine the same way the CLI does (wasm where tfjs-node is absent).
import { initEngine } from '../src-main/engine/backend.js';

await initEngine();
