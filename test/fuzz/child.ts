// One fuzz child: builds the whole case list from the options (the same list in every child of a run),
// runs the cases from `from` on, and reports each start and verdict to the watcher (harness.ts).
import { seededRandom } from '../../src-shared/random.js';
import { initEngine } from '../../src-main/engine/backend.js';
import { ApiTarget, apiCases } from './cases/api.js';
import { modelConfigCases, saeConfigCases } from './cases/configs.js';
import { datasetCases, parquetCases } from './cases/datasets.js';
import { safetensorsCases } from './cases/safetensors.js';
import { Fixtures } from './fixtures.js';
import { CATEGORIES, type Category, type ChildMessage, type FuzzOptions, type Verdict } from './harness.js';
import type { FuzzCase } from './judge.js';

const options = JSON.parse(process.argv[2]) as FuzzOptions & { from: number; workDir: string };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

const fixtures = new Fixtures(options.workDir);
const api = new ApiTarget(options.workDir);
// Each category draws from its own stream, so adding cases to one leaves the others' seeds alone.
const stream = (category: Category) => seededRandom(options.seed * 31 + CATEGORIES.indexOf(category));
const builders: Record<Category, () => FuzzCase[]> = {
  safetensors: () => safetensorsCases(fixtures, stream('safetensors'), options.cases),
  'model-config': () => modelConfigCases(fixtures, stream('model-config'), options.cases),
  'sae-config': () => saeConfigCases(fixtures, stream('sae-config'), options.cases),
  dataset: () => datasetCases(fixtures, stream('dataset'), options.cases, options.ci),
  parquet: () => parquetCases(fixtures, stream('parquet'), options.cases),
  api: () => apiCases(api, stream('api'), options.cases),
};
const cases = options.categories.flatMap((category) => builders[category]());

await initEngine();
await send({ type: 'list', cases: cases.map((c) => ({ category: c.category, name: c.name, deadlineMs: c.deadlineMs ?? 20_000 })) });
for (let index = options.from; index < cases.length; index++) {
  await send({ type: 'start', index });
  let verdict: Verdict;
  try {
    verdict = await cases[index].run();
  } catch (err) {
    verdict = { ok: false, detail: `the case itself failed: ${(err as Error).stack ?? String(err)}` };
  }
  await send({ type: 'end', index, verdict });
}
await api.close();
fixtures.clean(options.workDir);
process.disconnect();
