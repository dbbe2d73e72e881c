// Exports that the page makes from what it already holds: a feature page as JSON or as a PNG of the
// page as drawn, and a family's UMAP as CSV, saved through the browser's download (the desktop app's
// window saves it the same way); an SAE's .zip, fetched from the server, goes out the same way.
import { toBlob } from 'html-to-image';
import type { FeaturePage } from '../../../src-shared/api.js';
import type { FeatureMapColumns } from '../../../src-shared/feature-map.js';

/** One row per latent: the SAE, its d_sae, the latent and its UMAP coordinates. */
export function mapCsv(map: FeatureMapColumns): string {
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

/**
 * A PNG of an element as it is drawn now, at the screen's pixel density, without its descendants
 * marked `data-export-skip` (the page's own buttons). html-to-image clones the element into an SVG
 * foreignObject with its computed styles and rasterises that, so canvases (the charts) come out as
 * drawn; the clone has no page behind it, so the colours it would inherit or show through are set on it.
 */
export async function elementPng(element: HTMLElement): Promise<Blob> {
  const inherited = getComputedStyle(element);
  const blob = await toBlob(element, {
    backgroundColor: backdrop(element),
    pixelRatio: window.devicePixelRatio || 1,
    style: { color: inherited.color, fontFamily: inherited.fontFamily },
    filter: (node) => !(node instanceof HTMLElement && node.dataset.exportSkip !== undefined),
  });
  if (!blob) throw new Error('the browser could not draw the page into an image');
  return blob;
}

/** The first opaque background at or above the element: what is seen behind its transparent parts. */
function backdrop(element: HTMLElement): string {
  for (let node: HTMLElement | null = element; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(colour)) return colour;
  }
  return 'white';
}

export function download(name: string, content: string | Blob, type: string): void {
  const url = URL.createObjectURL(typeof content === 'string' ? new Blob([content], { type }) : content);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
