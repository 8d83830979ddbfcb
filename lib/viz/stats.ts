/**
 * Small statistics for across-seed summaries, re-exported from `lib/stats/describe.ts` (their
 * home since the statistics module exists): mean, sample standard deviation, Student-t 95%
 * confidence intervals, grouping.
 *
 * @module
 */
export { groupBy, mean, std, summarize, type Summary, tQuantile975 } from "../stats/describe.ts";
