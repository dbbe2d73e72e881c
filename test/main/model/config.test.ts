import { describe, expect, it } from 'vitest';
import { parseGpt2Config, toHfConfigJson } from '../../../src-main/model/config.js';

/** The Hub's openai-community/gpt2 config.json, verbatim. */
const GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

describe('parseGpt2Config', () => {
  it('reads gpt2 and gpt2-xl', () => {
    expect(parseGpt2Config(GPT2, 'gpt2/config.json')).toEqual({
      nLayer: 12, nEmbd: 768, nHead: 12, nInner: 3072, nPositions: 1024, vocabSize: 50257,
      layerNormEpsilon: 1e-5, activationFunction: 'gelu_new', eosTokenId: 50256, bosTokenId: 50256,
    });
    const xl = parseGpt2Config({ ...GPT2, n_embd: 1600, n_head: 25, n_layer: 48 }, 'xl');
    expect([xl.nLayer, xl.nEmbd, xl.nHead, xl.nInner]).toEqual([48, 1600, 25, 6400]);
  });

  it('falls back to n_ctx and honours n_inner', () => {
    const { n_positions: _, ...old } = GPT2;
    expect(parseGpt2Config({ ...old, n_ctx: 512, n_inner: 1000 }, 'f')).toMatchObject({ nPositions: 512, nInner: 1000 });
  });

  it('round-trips through toHfConfigJson', () => {
    const config = parseGpt2Config({ ...GPT2, n_layer: 3, n_inner: 100, activation_function: 'relu' }, 'f');
    const json = toHfConfigJson(config);
    expect(json).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_inner: 100, n_positions: 1024, n_ctx: 1024 });
    expect(parseGpt2Config(JSON.parse(JSON.stringify(json)), 'f')).toEqual(config);
  });

  it('names the file and key of every problem', () => {
    const bad = (patch: Record<string, unknown>) => () => parseGpt2Config({ ...GPT2, ...patch }, 'm/config.json');
    expect(bad({ n_layer: undefined })).toThrow('m/config.json: "n_layer" must be a positive integer, got undefined');
    expect(bad({ n_embd: 770 })).toThrow('m/config.json: "n_embd" (770) must be divisible by "n_head" (12)');
    expect(bad({ vocab_size: '50257' })).toThrow('m/config.json: "vocab_size" must be a positive integer, got "50257"');
    expect(bad({ n_positions: undefined, n_ctx: undefined })).toThrow('m/config.json: missing "n_positions" (or the older "n_ctx")');
    expect(bad({ activation_function: 'swiglu' })).toThrow(/m\/config.json: "activation_function" is "swiglu"; expected one of gelu_new/);
    expect(bad({ model_type: 'llama' })).toThrow('m/config.json: "model_type" is "llama", but only "gpt2" models are supported');
    expect(bad({ scale_attn_by_inverse_layer_idx: true })).toThrow(/scale_attn_by_inverse_layer_idx/);
    expect(bad({ layer_norm_epsilon: 0 })).toThrow('m/config.json: "layer_norm_epsilon" must be a positive number, got 0');
    expect(bad({ eos_token_id: 50257 })).toThrow('m/config.json: "eos_token_id" must be a token id in 0..50256, got 50257');
    expect(() => parseGpt2Config([1], 'm/config.json')).toThrow('m/config.json: expected a JSON object with GPT-2 hyper-parameters, got an array');
  });
});
