/**
 * Policies behind one interface: the Language-Agent Policy over our model and scripted baselines
 * (served policies over HTTP implement the same {@link Policy}); `loadPolicy` builds any of them
 * from a description.
 *
 * @module
 */
export type { ActOptions, Completion, Policy, PolicyInput } from "./types.ts";
export { LapPolicy, type LapPolicyOptions } from "./lap.ts";
export { OraclePolicy, RandomPolicy } from "./scripted.ts";
export { HttpPolicy, HttpPolicyError, type HttpPolicyOptions } from "./http.ts";
export { type LoadedPolicy, loadPolicy, type PolicySpec } from "./load.ts";
