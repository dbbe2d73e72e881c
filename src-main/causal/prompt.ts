// A prompt as the model is fed it: BOS (<|endoftext|>) first when asked, as SAEs trained with
// prepend_bos saw their contexts, and short enough to leave room for what comes after it.

export interface PromptTokenizer {
  encode(text: string): number[];
  eotId: number;
}

export interface PromptIds {
  /** What the model is fed. */
  ids: number[];
  /** 1 when BOS was prepended, else 0: the fed position of the prompt's first token. */
  offset: number;
}

/** `reserve` positions are kept free after the prompt (the tokens a generation adds). */
export function promptIds(tokenizer: PromptTokenizer, text: string, opts: { bos: boolean; nPositions: number; reserve?: number }): PromptIds {
  const body = tokenizer.encode(text);
  if (body.length === 0 && !opts.bos) throw new Error('the prompt is empty; give some text');
  const ids = opts.bos ? [tokenizer.eotId, ...body] : body;
  const room = opts.nPositions - (opts.reserve ?? 0);
  if (ids.length > room) {
    const extra = opts.reserve ? ` plus ${opts.reserve} new tokens` : '';
    throw new Error(`the prompt is ${ids.length} tokens${opts.bos ? ' with BOS' : ''}${extra}, more than the model's context of ${opts.nPositions}; shorten it`);
  }
  return { ids, offset: opts.bos ? 1 : 0 };
}
