/**
 * Training on several scenarios at once: {@link MixedScenarioEnv} is one {@link TextEnv} that, at
 * every `reset`, becomes one of its scenarios, chosen by the initial-state seed alone
 * ({@link pickScenario}). Every episode of a group shares its initial-state seed, so a group
 * always plays one scenario and its advantages compare like with like; across groups and
 * iterations the scenarios mix in the proportions of the list (repeat a name to weight it).
 *
 * The games' action names are unified under Frozen Lake's order `left, down, right, up` (Snake's
 * own order is `up, down, left, right`; the names are the same four words), so the trainer's
 * logs name actions correctly whatever game an episode played. Prompts are the scenarios' own.
 * {@link MixedScenarioEnv.scenario} names the scenario of the current episode; rollouts record it
 * on each episode, so the logs say which scenario every group played.
 *
 * @module
 */
import { getScenario, type Scenario } from "./scenarios.ts";
import {
  checkAction,
  formatActionTag,
  parseActionTag,
  type RenderStyle,
  type StepResult,
  stepTextWith,
  type TextEnv,
} from "./tsmg.ts";
import { mixturePickSeed } from "../util/seeds.ts";

/** The unified action names of a {@link MixedScenarioEnv}. */
export const MIXED_ACTIONS: readonly string[] = ["left", "down", "right", "up"];

/**
 * The scenario a mixed environment plays from an initial-state seed.
 *
 * @param initialStateSeed the episode's initial-state seed.
 * @param names the mixture's scenario names (repeats weight a scenario).
 * @returns one of `names`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickScenario } from "./mixed.ts";
 * const name = pickScenario(1234, ["FrozenLake-NoSlip", "Snake-8"]);
 * assert.deepEqual(name === pickScenario(1234, ["FrozenLake-NoSlip", "Snake-8"]), true);
 * ```
 */
export function pickScenario(initialStateSeed: number, names: readonly string[]): string {
  if (names.length === 0) throw new Error("pickScenario: the scenario list is empty");
  return names[mixturePickSeed(initialStateSeed) % names.length];
}

/**
 * The name a mixed environment reports (the trainer logs each group's own scenario instead).
 *
 * @param names the mixture's scenario names.
 * @returns `names[0]` for a single scenario, else `mix(A+B+…)`.
 */
export function mixtureName(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `mix(${names.join("+")})`;
}

/** Options of {@link MixedScenarioEnv}. */
export interface MixedScenarioEnvOptions {
  /** Observation style of every sub-environment. */
  renderStyle?: RenderStyle;
  /** Default format penalty of `stepText`. */
  formatPenalty?: number;
}

/** One environment that plays a seed-chosen scenario of a list at each reset. */
export class MixedScenarioEnv implements TextEnv {
  /** `mix(A+B+…)` (or the single scenario's name). */
  readonly name: string;
  /** Always 1 (rollouts support one language agent). */
  readonly numAgents = 1;
  /** {@link MIXED_ACTIONS}. */
  readonly actionNames: readonly string[] = MIXED_ACTIONS;
  /** The mixture's scenario names, as given. */
  readonly scenarios: readonly string[];
  readonly #opts: MixedScenarioEnvOptions;
  readonly #envs = new Map<string, { env: TextEnv; toSub: number[] }>();
  #current: { env: TextEnv; toSub: number[] } | null = null;
  #currentName = "";

  /**
   * @param scenarios scenario names (at least one; all must have one language agent).
   * @param opts render style and format penalty.
   */
  constructor(scenarios: readonly string[], opts: MixedScenarioEnvOptions = {}) {
    if (scenarios.length === 0) throw new Error("MixedScenarioEnv: the scenario list is empty");
    this.#opts = opts;
    for (const n of scenarios) this.#sub(getScenario(n));
    this.scenarios = [...scenarios];
    this.name = mixtureName(scenarios);
  }

  #sub(sc: Scenario): { env: TextEnv; toSub: number[] } {
    let s = this.#envs.get(sc.name);
    if (s === undefined) {
      const env = sc.makeEnv({
        renderStyle: this.#opts.renderStyle,
        formatPenalty: this.#opts.formatPenalty,
      });
      if (env.numAgents !== 1) {
        throw new Error(
          `MixedScenarioEnv: ${sc.name} has ${env.numAgents} language agents; need 1`,
        );
      }
      const toSub = MIXED_ACTIONS.map((a) => {
        const i = env.actionNames.indexOf(a);
        if (i < 0) {
          throw new Error(
            `MixedScenarioEnv: ${sc.name} has no action "${a}" (its actions: ${env.actionNames})`,
          );
        }
        return i;
      });
      s = { env, toSub };
      this.#envs.set(sc.name, s);
    }
    return s;
  }

  #cur(fn: string): { env: TextEnv; toSub: number[] } {
    if (this.#current === null) throw new Error(`${this.name}.${fn}: call reset() first`);
    return this.#current;
  }

  /** The scenario of the current episode (empty before the first reset). */
  get scenario(): string {
    return this.#currentName;
  }
  /** The current sub-environment (after a reset). */
  get current(): TextEnv {
    return this.#cur("current").env;
  }
  /** The current scenario's default action, as a unified index. */
  get defaultAction(): number {
    const c = this.#current;
    if (c === null) return 0;
    return c.toSub.indexOf(c.env.defaultAction);
  }
  /** Steps taken in the current episode. */
  get t(): number {
    return this.#current?.env.t ?? 0;
  }
  /** Whether the current episode has ended. */
  get done(): boolean {
    return this.#current?.env.done ?? false;
  }
  /** The current scenario's step cap (the largest of the mixture before the first reset). */
  get maxSteps(): number {
    if (this.#current) return this.#current.env.maxSteps;
    return Math.max(...[...this.#envs.values()].map((s) => s.env.maxSteps));
  }

  /** Become the scenario {@link pickScenario} chooses for `initialStateSeed`, and reset it. */
  reset(initialStateSeed: number, dynamicsSeed: number = initialStateSeed): void {
    const name = pickScenario(initialStateSeed, this.scenarios);
    this.#current = this.#sub(getScenario(name));
    this.#currentName = name;
    this.#current.env.reset(initialStateSeed, dynamicsSeed);
  }

  /** The current scenario's instructions and state. */
  observe(agent = 0): { system: string; user: string } {
    return this.#cur("observe").env.observe(agent);
  }

  /** Parse an answer into a unified action index, or null when invalid. */
  parseAction(text: string, _agent = 0): number | null {
    return parseActionTag(text, MIXED_ACTIONS);
  }

  /** The canonical answer for a unified action, e.g. `<action>left</action>`. */
  formatAction(action: number): string {
    checkAction(action, MIXED_ACTIONS, `${this.name}.formatAction`);
    return formatActionTag(MIXED_ACTIONS[action]);
  }

  /** Step the current scenario with unified actions; `info.actions` are unified too. */
  step(actions: number[]): StepResult {
    const c = this.#cur("step");
    for (const a of actions) checkAction(a, MIXED_ACTIONS, `${this.name}.step`);
    const res = c.env.step(actions.map((a) => c.toSub[a]));
    res.info.actions = res.info.actions.map((a) => c.toSub.indexOf(a));
    return res;
  }

  /** Parse and step; invalid → the current scenario's default action, reward − penalty. */
  stepText(texts: string[], formatPenalty: number = this.#opts.formatPenalty ?? 0): StepResult {
    return stepTextWith(this, texts, formatPenalty);
  }
}

/**
 * The training environment factory: one scenario, or a seed-chosen mix of several.
 * @param scenarios scenario names.
 * @param renderStyle prompt rendering.
 * @param formatPenalty reward subtracted for an invalid answer.
 * @returns a factory of fresh environments.
 */
export function mixedEnvFactory(
  scenarios: readonly string[],
  renderStyle: "compact" | "verbose",
  formatPenalty: number,
): () => TextEnv {
  new MixedScenarioEnv(scenarios); // validate the names now
  return () => new MixedScenarioEnv(scenarios, { renderStyle, formatPenalty });
}
