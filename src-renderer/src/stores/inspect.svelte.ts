// Inspect store: a prompt run through a model and one SAE, the latents on every token.
import type { ApiErrorInfo, InspectResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

export interface InspectRequest {
  model: string;
  sae: string;
  text: string;
  /** Colour tokens by this latent; null = show the top latents per token. */
  latent: number | null;
  topPerToken: number;
}

class InspectStore {
  /** The request `result` answers (it may differ from the form while the user edits). */
  request = $state<InspectRequest | null>(null);
  result = $state<InspectResult | null>(null);
  error = $state<ApiErrorInfo | null>(null);
  busy = $state(false);

  async run(request: InspectRequest): Promise<void> {
    this.busy = true;
    try {
      const result = await api.inspect.prompt({
        model: request.model,
        sae: request.sae,
        text: request.text,
        topPerToken: request.topPerToken,
        ...(request.latent !== null ? { latent: request.latent } : {}),
      });
      this.request = request;
      this.result = result;
      this.error = null;
    } catch (err) {
      this.error = errorInfo(err);
    } finally {
      this.busy = false;
    }
  }
}

export const inspect = new InspectStore();
