import assert from "node:assert/strict";
import { showChart, tableBundle, VEGA_LITE_MIME } from "../../lib/viz/display.ts";
import { specToSvg, svgToPng } from "../../lib/viz/render.ts";
import {
  armCurvesSpec,
  armFinalSpec,
  groupedBarsSpec,
  healthSpec,
  progressSpec,
} from "../../lib/viz/specs.ts";
import type { RunPoint } from "../../lib/viz/eval_summary.ts";
import { frameSvg, stripSvg, wrapText } from "../../lib/viz/board.ts";

const PNG = [0x89, 0x50, 0x4e, 0x47];

const points: RunPoint[] = ["a", "b"].flatMap((run, k) =>
  ["FL", "Snake"].flatMap((scenario) =>
    [0, 5, 10].map((iteration) => ({
      run,
      scenario,
      iteration,
      value: iteration / 20 + k * 0.1,
      episodes: 4,
    }))
  )
);

Deno.test("progressSpec() renders with a band, the best run and the optimum line", async () => {
  const spec = progressSpec(points, { metric: "success", optimum: new Map([["FL", 0.9]]) });
  const values = (spec.data as { values: { layer: string; run?: string }[] }).values;
  assert.equal(values.filter((v) => v.layer === "mean").length, 6);
  assert.deepEqual([...new Set(values.filter((v) => v.layer === "best").map((v) => v.run))], ["b"]);
  assert.equal(values.filter((v) => v.layer === "optimum").length, 1);
  const svg = await specToSvg(spec);
  assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
  assert.ok(svg.includes("FL") && svg.includes("Snake"));
  assert.deepEqual([...svgToPng(svg).subarray(0, 4)], PNG);
});

Deno.test("the ablation, health and bar specs compile to SVG", async () => {
  const armed = points.map((p) => ({ ...p, arm: p.run === "a" ? "aaw" : "uniform" }));
  const health = [1, 2].map((iteration) => ({
    run: "a",
    iteration,
    valid_rate: 0.9,
    entropy: 1.2,
    ref_kl: null,
  }));
  for (
    const spec of [
      armCurvesSpec(armed, { metric: "success" }),
      armFinalSpec(armed, { metric: "success" }),
      healthSpec(health),
      groupedBarsSpec([{ scenario: "FL", series: "trained", mean: 0.5, ci95: 0.1 }], {
        metric: "success",
        optimum: new Map([["FL", 1]]),
      }),
    ]
  ) {
    const svg = await specToSvg(spec);
    assert.ok(svg.includes("</svg>"));
  }
  const hv = (healthSpec(health).data as { values: { metric: string }[] }).values;
  assert.equal(hv.length, 4, "null metrics are dropped");
});

Deno.test("showChart() outside Jupyter returns the vega-lite + PNG bundle", async () => {
  const spec = progressSpec(points, { metric: "return" });
  const b = await showChart(spec);
  assert.equal(b[VEGA_LITE_MIME], spec);
  const png = Uint8Array.from(atob(b["image/png"] as string), (c) => c.charCodeAt(0));
  assert.deepEqual([...png.subarray(0, 4)], PNG);
});

Deno.test("tableBundle() writes Markdown and escaped HTML", () => {
  const b = tableBundle([{ a: 1, b: 0.12345, c: "<x>" }, { a: 2, b: null, c: "y" }]);
  assert.equal(
    b["text/markdown"],
    "| a | b | c |\n|---|---|---|\n| 1 | 0.123 | <x> |\n| 2 | — | y |",
  );
  assert.ok((b["text/html"] as string).includes("&lt;x&gt;"));
});

Deno.test("wrapText() wraps on words, cuts long words and marks dropped lines", () => {
  assert.deepEqual(wrapText("go left now please", 8, 5), ["go left", "now", "please"]);
  assert.deepEqual(wrapText("abcdefghij", 4, 5), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrapText("a b c d e f", 1, 2), ["a", "…"]);
});

Deno.test("frameSvg() draws every tile and stripSvg() survives control characters", () => {
  const fl = { kind: "frozen_lake" as const, desc: ["SF", "HG"], state: 1 };
  const svg = frameSvg(fl, 10);
  assert.equal(svg.match(/<rect /g)!.length, 4);
  assert.equal(svg.match(/<circle /g)!.length, 1);
  assert.ok(svg.includes('cx="15" cy="5"'), "the player is drawn on tile (0, 1)");
  const strip = stripSvg([{ board: fl, caption: "bad \u0017 text <action>" }]);
  assert.ok(strip.includes("\ufffd") && strip.includes("&lt;action&gt;"));
  assert.deepEqual([...svgToPng(strip).subarray(0, 4)], PNG);
});

Deno.test("armCurvesSpec() clamps success-rate bands to [0, 1] and leaves returns alone", () => {
  // Two seeds far apart: the 95% t-interval (±12.7·σ/√2) spans far past [0, 1].
  const pts = [0, 1].map((v, k) => ({
    run: `r${k}`,
    arm: "aaw",
    scenario: "S",
    iteration: 10,
    value: v,
    episodes: 50,
  }));
  const rows = (spec: { data?: { values?: unknown } }) =>
    (spec.data?.values ?? []) as { lo: number; hi: number; mean: number }[];
  const success = rows(armCurvesSpec(pts, { metric: "success" }) as never);
  assert.equal(success.length, 1);
  assert.deepEqual([success[0].lo, success[0].hi], [0, 1]);
  const ret = rows(armCurvesSpec(pts, { metric: "return" }) as never);
  assert.ok(ret[0].lo < -1 && ret[0].hi > 2, JSON.stringify(ret[0]));
});
