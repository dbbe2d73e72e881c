// The `sae-explorer` command line. Each command lives in commands/<name>.ts and registers itself on
// the program; heavy modules are imported inside the actions so `--help` stays instant.
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Array<() => Promise<{ register: Register }>> = [
  () => import('./commands/bench.js'),
  () => import('./commands/demo.js'),
  () => import('./commands/serve.js'),
  () => import('./commands/model.js'),
  () => import('./commands/doctor.js'),
  () => import('./commands/sae.js'),
  () => import('./commands/harvest.js'),
  () => import('./commands/umap.js'),
  () => import('./commands/splitting.js'),
  () => import('./commands/family.js'),
  () => import('./commands/feature.js'),
  () => import('./commands/inspect.js'),
  () => import('./commands/train.js'),
  () => import('./commands/tokenize.js'),
  () => import('./commands/run.js'),
  () => import('./commands/steer.js'),
  () => import('./commands/attribute.js'),
  () => import('./commands/feature-heads.js'),
  () => import('./commands/attention.js'),
  () => import('./commands/lm.js'),
];

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sae-explorer')
    .description('Train sparse autoencoders on GPT-2 activations and explore their features.')
    .option('--backend <name>', 'tensor backend: auto, gpu, tensorflow, wasm or cpu (env SAE_BACKEND)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  program.hook('preAction', (root) => {
    const backend = root.opts().backend as string | undefined;
    if (backend) process.env.SAE_BACKEND = backend;
  });
  for (const load of COMMANDS) (await load()).register(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sae-explorer: ${message.split('\n')[0]}\n`);
    if (process.env.SAE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
