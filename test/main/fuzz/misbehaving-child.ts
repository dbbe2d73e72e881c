// A fuzz child whose cases misbehave on purpose, for the watcher's test: one passes, one kills its
// process, one loops forever (synchronously, so only a watcher outside the process can end it), one
// fails, one passes. The protocol is the real child's (test/fuzz/child.ts).
import type { ChildMessage, Verdict } from '../../fuzz/harness.js';

const { from } = JSON.parse(process.argv[2]) as { from: number };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

const cases: Array<{ name: string; deadlineMs: number; run: () => Verdict }> = [
  { name: 'passes', deadlineMs: 20_000, run: () => ({ ok: true, detail: 'fine' }) },
  { name: 'exits', deadlineMs: 20_000, run: () => process.exit(7) },
  {
    name: 'loops',
    deadlineMs: 1_000,
    run: () => {
      for (;;);
    },
  },
  { name: 'fails', deadlineMs: 20_000, run: () => ({ ok: false, detail: 'unclear error' }) },
  { name: 'passes again', deadlineMs: 20_000, run: () => ({ ok: true, detail: 'fine' }) },
];

await send({ type: 'list', cases: cases.map((c) => ({ category: 'dataset', name: c.name, deadlineMs: c.deadlineMs })) });
for (let index = from; index < cases.length; index++) {
  await send({ type: 'start', index });
  await send({ type: 'end', index, verdict: cases[index].run() });
}
process.disconnect();
