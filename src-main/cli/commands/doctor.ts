import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('print the tensor backend, devices, CUDA libraries, CPU, memory, versions and Hugging Face cache')
    .option('--json', 'print one JSON object instead of text')
    .action(async (opts: { json?: boolean }) => {
      const { collectDiagnostics, formatDiagnostics } = await import('../../engine/doctor.js');
      const diagnostics = await collectDiagnostics();
      process.stdout.write(opts.json ? `${JSON.stringify(diagnostics, null, 2)}\n` : formatDiagnostics(diagnostics));
    });
}
