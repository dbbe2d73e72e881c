// `sae-explorer family chart`: the scaling chart of one or more trained families (eval FVU against
// d_sae on log-log axes, with the least-squares power law) as an SVG for docs, and the fitted
// exponent. Several folders combine, so a sweep that trained each size into its own --out charts as
// one family.
import type { Command } from 'commander';
import { printJson } from '../io.js';

interface ChartFlags {
  out: string;
  convergenceOut?: string;
  title?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const family = program.command('family').description("a trained family's figures");
  family
    .command('chart')
    .description('eval FVU against dictionary size on log-log axes with the fitted power law, as SVG; prints the exponent')
    .argument('<dir...>', 'family folders (each with the family.json sae-explorer train writes), e.g. one per size of a sweep')
    .requiredOption('--out <file.svg>', 'SVG file to write')
    .option('--convergence-out <file.svg>', 'also draw tokens to convergence against d_sae, with its fitted power law, over the sizes that converged')
    .option('--title <text>', 'title above the chart')
    .option('--json', 'print one JSON object: {"exponent","coefficient","r2","reason","convergence":{"exponent","coefficient","r2","reason"},"sizes":[{"d_sae","eval_fvu","tokens_to_convergence","converged","dir"}],"out"}')
    .action(async (dirs: string[], flags: ChartFlags) => {
      for (const [flag, file] of [['--out', flags.out], ['--convergence-out', flags.convergenceOut]] as const) {
        if (file !== undefined && !file.endsWith('.svg')) throw new Error(`${flag} ${file}: the chart is SVG; name the file *.svg`);
      }
      const { readFamilyRecord } = await import('../../train/family-record.js');
      const { convergenceSvg, fitConvergence, fitPowerLaw, scalingSvg } = await import('../../train/scaling.js');
      const { writeFileAtomic } = await import('../../io/atomic.js');
      const sizes: Array<{ d_sae: number; eval_fvu: number | null; tokens_to_convergence: number | null; converged: boolean | null; dir: string }> = [];
      for (const dir of dirs) {
        const record = readFamilyRecord(dir);
        record.members.forEach((m, i) => {
          if (m.dSae === null) throw new Error(`${record.file}: saes[${i}].d_sae is missing; the chart needs each SAE's size`);
          const twin = sizes.find((s) => s.d_sae === m.dSae);
          if (twin) throw new Error(`d_sae ${m.dSae} is in both ${twin.dir} and ${dir}: chart one run per size`);
          sizes.push({ d_sae: m.dSae, eval_fvu: m.evalFvu, tokens_to_convergence: m.convergence?.tokens ?? null, converged: m.convergence?.converged ?? null, dir });
        });
      }
      sizes.sort((a, b) => a.d_sae - b.d_sae);
      const points = sizes.filter((s) => s.eval_fvu !== null).map((s) => ({ dSae: s.d_sae, evalFvu: s.eval_fvu! }));
      if (points.length === 0) throw new Error(`no eval FVU in ${dirs.join(', ')}: train with --eval-tokens > 0, or evaluate each size with sae-explorer sae eval --save`);
      const result = fitPowerLaw(points);
      writeFileAtomic(flags.out, scalingSvg(points, result.fit, flags.title));
      const timed = sizes.flatMap((s) => (s.tokens_to_convergence === null ? [] : [{ dSae: s.d_sae, tokens: s.tokens_to_convergence, converged: s.converged === true }]));
      const convergence = fitConvergence(timed);
      if (flags.convergenceOut) writeFileAtomic(flags.convergenceOut, convergenceSvg(timed, convergence.fit, flags.title && `tokens to convergence: ${flags.title}`));
      if (flags.json) {
        printJson({
          exponent: result.fit?.exponent ?? null,
          coefficient: result.fit?.coefficient ?? null,
          r2: result.fit?.r2 ?? null,
          reason: result.fit ? null : result.reason,
          convergence: { exponent: convergence.fit?.exponent ?? null, coefficient: convergence.fit?.coefficient ?? null, r2: convergence.fit?.r2 ?? null, reason: convergence.fit ? null : convergence.reason },
          sizes,
          out: flags.out,
        });
        return;
      }
      const lines = sizes.map((s) => {
        const ttc = s.tokens_to_convergence === null ? 'no training curve' : `${s.converged ? '' : '≥ '}${s.tokens_to_convergence} tokens to convergence${s.converged ? '' : ' (still falling at the end)'}`;
        return `d_sae ${s.d_sae}: eval FVU ${s.eval_fvu === null ? 'none' : s.eval_fvu.toFixed(4)}, ${ttc}`;
      });
      lines.push(result.fit ? `FVU ∝ n^-${result.fit.exponent.toFixed(3)} (R² ${result.fit.r2.toFixed(3)}, least squares of log FVU on log n)` : `no power law: ${result.reason}`);
      lines.push(convergence.fit ? `tokens to convergence ∝ n^${convergence.fit.exponent.toFixed(3)} (R² ${convergence.fit.r2.toFixed(3)}, over the sizes that converged; Gao et al. 2024: about n^0.6 on GPT-2 small)` : `tokens to convergence: no power law: ${convergence.reason}`);
      lines.push(`wrote ${[flags.out, flags.convergenceOut].filter(Boolean).join(' and ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
