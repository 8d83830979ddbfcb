/**
 * Charts to pictures without a browser: vega-lite → vega → SVG (vega's headless renderer), and
 * SVG → PNG with resvg, using the DejaVu Sans font (Debian `fonts-dejavu-core`).
 *
 * @module
 */
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { VlSpec } from "./specs.ts";

/** Font family used for every rendered text. */
export const FONT_FAMILY = "DejaVu Sans";

/**
 * Render a vega-lite spec to an SVG string.
 * @param spec the spec (inline data).
 * @returns the SVG document.
 * @example
 * ```ts ignore
 * // not run as a test: it loads the chart renderer and its fonts (slow)
 * const svg = await specToSvg({ $schema: VEGA_LITE_SCHEMA, data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } });
 * ```
 */
export async function specToSvg(spec: VlSpec): Promise<string> {
  let vg;
  try {
    vg = compile(spec as unknown as TopLevelSpec).spec;
  } catch (e) {
    throw new Error(`vega-lite: cannot compile the chart spec: ${(e as Error).message}`);
  }
  const view = new View(parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterise an SVG document to PNG.
 * @param svg the SVG text.
 * @param scale zoom factor (default 2, for sharp text).
 * @returns PNG bytes.
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  });
  return r.render().asPng();
}

/**
 * Render a vega-lite spec to PNG bytes.
 * @param spec the spec.
 * @param scale zoom factor (default 2).
 * @returns PNG bytes.
 */
export async function specToPng(spec: VlSpec, scale = 2): Promise<Uint8Array> {
  return svgToPng(await specToSvg(spec), scale);
}
