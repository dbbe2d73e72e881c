import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the performance benchmarks on the active backend and print one JSON object')
    .argument('[names...]', 'benchmarks to run (default: all)')
    .action(async (names: string[]) => {
      const { runBenchmarks } = await import('../../bench/index.js');
      process.stdout.write(`${JSON.stringify(await runBenchmarks(names), null, 2)}\n`);
    });
}
