// Engine requests: which backend the compute process runs on and why (the app's status bar), and
// the full doctor report with its fixes (the Doctor panel). Both start the engine if it is not
// running yet; a start that fails is reported in the answer, not as an error.
import type { DomainHandlers } from '../handler.js';
import { readParams } from '../params.js';

export const engineHandlers: DomainHandlers<'engine'> = {
  'engine.info': async (params, { engine }) => {
    readParams<Record<string, never>>('engine.info', params, {});
    await engine.start().catch(() => undefined);
    const { engineReport } = await import('../../engine/doctor.js');
    return engineReport();
  },

  'engine.doctor': async (params, { engine }) => {
    readParams<Record<string, never>>('engine.doctor', params, {});
    await engine.start().catch(() => undefined);
    const { collectDiagnostics } = await import('../../engine/doctor.js');
    return collectDiagnostics();
  },
};
