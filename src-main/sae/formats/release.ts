// A folder that may hold one SAE or several (a SAELens release, a sparsify run, a folder of OpenAI
// files): every SAE in it, told apart by detectSaeFormat, for imports that take them all at once.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { detectSaeFormat, type DetectedSae } from './detect.js';

/** How deep below the root SAEs are looked for: an upload of a dropped release folder is <release>/<hook>/<size>/. */
const MAX_DEPTH = 3;

function tryDetect(target: string): DetectedSae | null {
  try {
    return detectSaeFormat(target);
  } catch {
    return null;
  }
}

/**
 * Every SAE under `root`: `root` itself when it is one; else its .safetensors files that are OpenAI
 * state dicts and its subfolders (to MAX_DEPTH) that are SAE folders. Throws naming `what` and the
 * forms expected when there is none.
 */
export function findSaes(root: string, what: string): DetectedSae[] {
  const single = tryDetect(root);
  if (single) return [single];
  const found: DetectedSae[] = [];
  const visit = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const target = path.join(dir, entry.name);
      if (entry.isFile() && entry.name.endsWith('.safetensors')) {
        const detected = tryDetect(target);
        if (detected?.format === 'openai') found.push(detected);
      } else if (entry.isDirectory()) {
        const detected = tryDetect(target);
        if (detected && detected.path === target) found.push(detected);
        else if (depth < MAX_DEPTH) visit(target, depth + 1);
      }
    }
  };
  visit(root, 1);
  if (found.length === 0) {
    throw new Error(`${what} holds no SAE: expected a SAELens folder (cfg.json + sae_weights.safetensors), a sparsify folder (cfg.json + sae.safetensors), an OpenAI state dict as .safetensors, or a folder of those`);
  }
  return found;
}
