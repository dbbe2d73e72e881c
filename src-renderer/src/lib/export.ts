// Exports that the page makes from data it already holds: a feature page as JSON and a family's
// UMAP as CSV, saved through the browser's download (the desktop app's window saves it the same way).
import type { FeatureMap, FeaturePage } from '../../../src-shared/api.js';

/** One row per latent: the SAE, its d_sae, the latent and its UMAP coordinates. */
export function mapCsv(map: FeatureMap): string {
  const rows = ['sae,d_sae,latent,x,y,z'];
  for (let i = 0; i < map.latent.length; i++) {
    const sae = map.sae[i]!;
    rows.push(`${map.saes[sae]},${map.sizes[sae]},${map.latent[i]},${map.x[i]},${map.y[i]},${map.z[i]}`);
  }
  return `${rows.join('\n')}\n`;
}

export function featurePageJson(page: FeaturePage): string {
  return `${JSON.stringify(page, null, 2)}\n`;
}

/** File names from ids: "fam/4096" → "fam-4096". */
export function fileStem(...parts: Array<string | number>): string {
  return parts.map((part) => String(part).replace(/[^\w.-]+/g, '-')).join('-');
}

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
