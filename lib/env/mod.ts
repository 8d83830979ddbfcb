/**
 * Text-mediated environments (TSMG): the interface, Frozen Lake (Gymnasium FrozenLake-v1 rules,
 * transition table, exact optimum), Snake (FastSnake rules), the evaluation scenarios, an
 * environment that mixes scenarios, and the scripted baseline policies.
 *
 * @example
 * ```ts
 * import { frozenLakeOptimum, getScenario } from "./mod.ts";
 * const opt = frozenLakeOptimum(["SFFF", "FHFH", "FFFH", "HFFG"], { slippery: true, maxSteps: 100 });
 * const env = getScenario("FrozenLake-NoSlip").makeEnv({ renderStyle: "compact" });
 * env.reset(0);
 * console.log(opt.successProbability.toFixed(6), env.observe().user);
 * ```
 *
 * @module
 */

export {
  actionNameSpan,
  checkAction,
  checkAgentCount,
  checkRenderStyle,
  formatActionTag,
  isCanonicalAnswer,
  parseActionTag,
  RENDER_STYLES,
  type RenderStyle,
  type StepInfo,
  type StepResult,
  stepTextWith,
  type TextEnv,
} from "./tsmg.ts";
export {
  FROZEN_LAKE_MAPS,
  type FrozenLakeMapName,
  generateRandomMap,
  hasPath,
  standardMap,
  validateDesc,
} from "./frozen_lake_maps.ts";
export {
  type CompiledDynamics,
  compileDynamics,
  DOWN,
  type DynamicsOptions,
  LEFT,
  mergeTransitions,
  RIGHT,
  type Transition,
  transitionTable,
  UP,
} from "./frozen_lake_dynamics.ts";
export {
  type FrozenLakeOptimum,
  frozenLakeOptimum,
  type FrozenLakeOptimumOptions,
  OPTIMUM_TIE_TOLERANCE,
} from "./frozen_lake_optimum.ts";
export { FROZEN_LAKE_ACTIONS, FrozenLakeEnv, type FrozenLakeOptions } from "./frozen_lake.ts";
export { SNAKE_ACTIONS, SnakeEnv, type SnakeOptions } from "./snake.ts";
export { type SnakeBoardState, type SnakeView } from "./snake_render.ts";
export {
  EPISODES_PER_SCENARIO,
  getScenario,
  type Scenario,
  type ScenarioEnvOptions,
  scenarioOptima,
  SCENARIOS,
} from "./scenarios.ts";
export {
  MIXED_ACTIONS,
  mixedEnvFactory,
  MixedScenarioEnv,
  type MixedScenarioEnvOptions,
  mixtureName,
  pickScenario,
} from "./mixed.ts";
export {
  greedySnakeAction,
  hurriedOracleAction,
  oracleAction,
  plannerAction,
  randomAction,
} from "./scripted.ts";
