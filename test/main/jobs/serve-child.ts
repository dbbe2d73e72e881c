// `serve` in a process of its own, so that a test can kill -9 it. Prints one JSON line: the URL's
// port and token, and the pid of the compute process it started.
import { serve } from '../../../src-main/server/serve.js';

const [workspace, rendererDir] = process.argv.slice(2);
if (!workspace || !rendererDir) throw new Error('usage: serve-child.ts WORKSPACE RENDERER_DIR');
const running = await serve({ workspace, rendererDir, print: () => {} });
process.stdout.write(`${JSON.stringify({ port: running.server.port, token: running.server.token, computePid: running.compute.pid })}\n`);
