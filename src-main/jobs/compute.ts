// Entry point of the compute process: owns the tensor engine, GPT-2, the trainer, the harvester and
// the SQLite store, and answers the contract's requests that arrive over the IPC channel. It runs
// under the system `node` (not Electron), so native modules built by `npm install` load as they are.
import { Dispatcher } from './dispatcher.js';
import { WORKSPACE_ENV, isHostMessage, type ComputeMessage } from './protocol.js';

function send(message: ComputeMessage): void {
  if (process.connected) process.send!(message);
}

async function main(): Promise<void> {
  const workspace = process.env[WORKSPACE_ENV];
  if (!process.send) throw new Error('compute.ts must be started with an IPC channel (child_process.fork)');
  if (!workspace) throw new Error(`compute.ts needs the workspace folder in ${WORKSPACE_ENV}`);
  const dispatcher = new Dispatcher({ workspace });
  dispatcher.subscribe((event) => send({ type: 'event', event }));

  const shutdown = async (): Promise<void> => {
    await dispatcher.close();
    process.exit(0);
  };
  process.on('disconnect', () => void shutdown());
  process.on('message', (message: unknown) => {
    if (!isHostMessage(message)) {
      process.stderr.write(`compute: ignored a message that is not a HostMessage: ${JSON.stringify(message)?.slice(0, 200)}\n`);
      return;
    }
    if (message.type === 'shutdown') {
      void shutdown();
      return;
    }
    if (message.type === 'ping') {
      send({ type: 'pong', id: message.id });
      return;
    }
    void dispatcher.call(message.method, message.params).then((response) => send({ type: 'response', id: message.id, response }));
  });
  // Before `ready`, so no call sees a job of a dead process as still running.
  await dispatcher.recoverInterruptedJobs();
  send({ type: 'ready', pid: process.pid });
}

main().catch((err: unknown) => {
  process.stderr.write(`compute: ${(err as Error).message}\n`);
  process.exit(1);
});
