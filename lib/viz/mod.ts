/**
 * Analysis of run directories: find and load runs, reduce evaluation tables across seeds, build
 * vega-lite charts (training progress, comparison, ablation, run health), render them to SVG/PNG
 * without a browser, draw boards and replay episodes, and display it all in the Deno Jupyter
 * kernel (vega-lite bundle + PNG).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it reads run directories and draws in a notebook
 * import { loadRuns, runPoints, progressSpec, showChart } from "./mod.ts";
 * const { tables } = loadRuns(["runs/"]);
 * await showChart(progressSpec(runPoints(tables.eval.objects(), "success"), { metric: "success" }));
 * ```
 *
 * @module
 */
export { encodeBase64 } from "./base64.ts";
export {
  type BoardFrame,
  frameElements,
  frameSize,
  frameSvg,
  type StripOptions,
  stripSvg,
  wrapText,
} from "./board.ts";
export {
  comparisonRecords,
  type ComparisonRow,
  comparisonTable,
  type Estimate,
  runComparison,
} from "./compare.ts";
export {
  chartSvg,
  inJupyter,
  type MimeBundle,
  showChart,
  showMarkdown,
  showSvg,
  showTable,
  tableBundle,
  VEGA_LITE_MIME,
} from "./display.ts";
export {
  bestRunByScenario,
  type EvalLike,
  type EvalMetric,
  finalPoints,
  optimumByScenario,
  type ProgressPoint,
  progressPoints,
  type RunPoint,
  runPoints,
} from "./eval_summary.ts";
export {
  type AblationArm,
  ablationArmRecords,
  type AblationMeasure,
  type AblationOptions,
  ablationPairRecords,
  type AblationPairRow,
  ablationStatistics,
  PRIMARY_SCENARIOS,
  type RunCurve,
  runCurves,
  scaleStatistics,
  scaleStatisticsRecords,
  type ScaleStatRow,
} from "./inference.ts";
export { FONT_FAMILY, specToPng, specToSvg, svgToPng } from "./render.ts";
export { boardOf, replayEpisode, type ReplayInput, type ReplayResult } from "./replay.ts";
export {
  configValue,
  discoverRuns,
  type LoadedRuns,
  loadRuns,
  rowsOf,
  type RunInfo,
  runPathsFromEnv,
} from "./runs.ts";
export {
  armCurvesSpec,
  armFinalSpec,
  type ArmPoint,
  groupedBarsSpec,
  HEALTH_METRICS,
  healthSpec,
  progressSpec,
  type ProgressSpecOptions,
  VEGA_LITE_SCHEMA,
  type VlSpec,
} from "./specs.ts";
export { groupBy, mean, std, summarize, type Summary, tQuantile975 } from "./stats.ts";
