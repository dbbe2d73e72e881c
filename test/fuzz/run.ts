// `npm run fuzz [-- --cases N --seed S --ci --category name,…]`: throws malformed inputs at the real
// parsers and the API server and prints, per category, how many cases ended in a clear error and
// which did not (with the case name, to rerun under the same seed). Exit code 1 when any failed.
import { CATEGORIES, runFuzz, summarise, type Category, type FuzzOptions } from './harness.js';

function parseArgs(argv: string[]): FuzzOptions {
  const options: FuzzOptions = { seed: 1, cases: 200, ci: false, categories: [...CATEGORIES] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--ci') options.ci = true;
    else if (flag === '--seed' || flag === '--cases') {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got ${argv[i]}`);
      if (flag === '--seed') options.seed = n;
      else options.cases = n;
    } else if (flag === '--category') {
      const names = value().split(',');
      const unknown = names.filter((n) => !(CATEGORIES as readonly string[]).includes(n));
      if (unknown.length) throw new Error(`unknown --category ${unknown.join(', ')}; expected some of ${CATEGORIES.join(', ')}`);
      options.categories = names as Category[];
    } else throw new Error(`unknown option ${flag}; expected --cases N, --seed S, --ci, --category a,b`);
  }
  return options;
}

let options: FuzzOptions;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`fuzz: ${(err as Error).message}\n`);
  process.exit(2);
}
process.stdout.write(`fuzz: seed ${options.seed}, ${options.cases} random cases per category on top of the fixed ones${options.ci ? ', CI sizes' : ''}\n`);
const results = await runFuzz(options, (r) => {
  if (r.outcome !== 'pass') process.stdout.write(`  ${r.outcome.toUpperCase()} [${r.category}] #${r.index} ${r.name}: ${r.detail.slice(0, 400)}\n`);
});
process.stdout.write('\ncategory       cases  pass  fail  crash  hang\n');
for (const row of summarise(results)) {
  process.stdout.write(`${row.category.padEnd(13)} ${String(row.cases).padStart(6)} ${String(row.pass).padStart(5)} ${String(row.fail).padStart(5)} ${String(row.crash).padStart(6)} ${String(row.hang).padStart(5)}\n`);
}
process.exitCode = results.every((r) => r.outcome === 'pass') ? 0 : 1;
