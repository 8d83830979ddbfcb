/**
 * Show charts and tables in the Deno Jupyter kernel. Every chart is displayed as one bundle with
 * the vega-lite spec (interactive in JupyterLab) **and** a PNG (what headless `nbconvert` output
 * and GitHub show, since they have no vega renderer). Outside Jupyter the functions display
 * nothing and return the bundle, so scripts and tests can use them too. When the environment
 * variable `MSGRPO_FIGURES` names a directory, each named chart is also saved there as PNG.
 *
 * @module
 */
import { encodeBase64 } from "./base64.ts";
import { specToPng, specToSvg, svgToPng } from "./render.ts";
import type { VlSpec } from "./specs.ts";

/** A Jupyter MIME bundle. */
export type MimeBundle = Record<string, unknown>;

/** The vega-lite MIME type JupyterLab renders. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

function _jupyter(): { display(obj: unknown, o?: { raw?: boolean }): Promise<void> } | null {
  let j: { display?: unknown } | undefined;
  try {
    j = (Deno as unknown as { jupyter?: { display?: unknown } }).jupyter; // throws outside the kernel
  } catch {
    return null;
  }
  return j && typeof j.display === "function"
    ? j as { display(obj: unknown, o?: { raw?: boolean }): Promise<void> }
    : null;
}

/** Whether the code runs in the Deno Jupyter kernel (`Deno.jupyter` is usable only there). */
export function inJupyter(): boolean {
  return _jupyter() !== null;
}

async function _save(name: string | undefined, png: Uint8Array): Promise<void> {
  let dir: string | undefined;
  try {
    dir = Deno.env.get("MSGRPO_FIGURES");
  } catch { /* no env permission */ }
  if (!dir || !name) return;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.png`, png);
}

async function _show(bundle: MimeBundle): Promise<MimeBundle> {
  if (!inJupyter()) return bundle;
  await _jupyter()!.display(bundle, { raw: true });
  return bundle;
}

/**
 * Display a chart (vega-lite bundle + PNG) and return the bundle.
 * @param spec the vega-lite spec.
 * @param opts `name`: file name under `MSGRPO_FIGURES`; `scale`: PNG zoom (default 2).
 * @returns the MIME bundle (`application/vnd.vegalite.v5+json`, `image/png`, `text/plain`).
 */
export async function showChart(
  spec: VlSpec,
  opts: { name?: string; scale?: number } = {},
): Promise<MimeBundle> {
  const png = await specToPng(spec, opts.scale ?? 2);
  await _save(opts.name, png);
  return _show({
    [VEGA_LITE_MIME]: spec,
    "image/png": encodeBase64(png),
    "text/plain": `chart ${opts.name ?? ""} (vega-lite; PNG ${png.length} bytes)`.trim(),
  });
}

/**
 * Display an SVG picture (as SVG and PNG) and return the bundle.
 * @param svg the SVG text.
 * @param opts `name`: file name under `MSGRPO_FIGURES`; `scale`: PNG zoom (default 1.5).
 * @returns the MIME bundle.
 */
export async function showSvg(
  svg: string,
  opts: { name?: string; scale?: number } = {},
): Promise<MimeBundle> {
  const png = svgToPng(svg, opts.scale ?? 1.5);
  await _save(opts.name, png);
  return _show({
    "image/png": encodeBase64(png),
    "text/plain": `picture ${opts.name ?? ""} (PNG ${png.length} bytes)`.trim(),
  });
}

function _esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function _cell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  return String(v);
}

/**
 * A table as Markdown (`text/plain`, readable in headless output) and HTML.
 * @param rows records (the first row's keys are the columns).
 * @param digits decimals of non-integer numbers (default 3).
 * @returns `{ "text/markdown", "text/html", "text/plain" }`.
 */
export function tableBundle(rows: readonly Record<string, unknown>[], digits = 3): MimeBundle {
  const cols = rows.length > 0 ? Object.keys(rows[0]) : [];
  const cells = rows.map((r) => cols.map((c) => _cell(r[c], digits)));
  const md = [
    `| ${cols.join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...cells.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  const html = `<table><thead><tr>${cols.map((c) => `<th>${_esc(c)}</th>`).join("")}</tr></thead>` +
    `<tbody>${
      cells.map((r) => `<tr>${r.map((v) => `<td>${_esc(v)}</td>`).join("")}</tr>`).join("")
    }</tbody></table>`;
  return { "text/markdown": md, "text/html": html, "text/plain": md };
}

/**
 * Display a table and return its bundle.
 * @param rows records.
 * @param digits decimals (default 3).
 * @returns the MIME bundle.
 */
export function showTable(
  rows: readonly Record<string, unknown>[],
  digits = 3,
): Promise<MimeBundle> {
  return _show(tableBundle(rows, digits));
}

/**
 * Display Markdown text and return its bundle.
 * @param text Markdown.
 * @returns the MIME bundle.
 */
export function showMarkdown(text: string): Promise<MimeBundle> {
  return _show({ "text/markdown": text, "text/plain": text });
}

/**
 * The SVG of a chart (for saving alongside the PNG).
 * @param spec the vega-lite spec.
 * @returns the SVG text.
 */
export function chartSvg(spec: VlSpec): Promise<string> {
  return specToSvg(spec);
}
