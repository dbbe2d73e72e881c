// A stand-in for src-main/jobs/compute.ts that gets ready and answers pings, then fails to answer
// calls the way a real compute process can: FAKE_COMPUTE_MODE=silent drops every call (a request
// stuck on something slow), =hang blocks its event loop on the first call (a read of a FIFO did).
import type { ComputeMessage, HostMessage } from '../../../src-main/jobs/protocol.js';

const mode = process.env.FAKE_COMPUTE_MODE;
if (mode !== 'silent' && mode !== 'hang') throw new Error(`FAKE_COMPUTE_MODE must be "silent" or "hang", got ${mode}`);

function send(message: ComputeMessage): void {
  process.send!(message);
}

process.on('message', (message: HostMessage) => {
  if (message.type === 'ping') send({ type: 'pong', id: message.id });
  else if (message.type === 'shutdown') process.exit(0);
  else if (mode === 'hang') for (;;);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
