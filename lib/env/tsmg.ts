/**
 * The Text-Mediated Stochastic Game (TSMG) interface: a Gymnasium-style environment that owns its
 * seeded PRNG, may have several language agents, and speaks text — it renders instructions and the
 * current state for each agent and parses a model's answer into a domain action or ⊥ (invalid).
 *
 * Answer format shared by every environment of the toolkit: optional reasoning inside
 * `<think>…</think>`, then one action tag such as `<action>left</action>`. Parsing rules
 * ({@link parseActionTag}):
 * - complete `<think>…</think>` blocks are removed first (an action named inside the reasoning
 *   never counts); an unclosed `<think>` hides everything after it;
 * - the **first** remaining `<action>…</action>` tag is the answer (later tags are ignored);
 * - tag names and the action name are case-insensitive, and whitespace is allowed around the
 *   action name and inside the angle brackets (`< ACTION > Left </action >` reads as left);
 * - no tag, an empty tag, or a name that is not one of the environment's actions gives `null` (⊥).
 *
 * @module
 */

/** How an environment renders its observation text. */
export type RenderStyle = "verbose" | "compact";

/** The list of render styles, for validation and CLI help. */
export const RENDER_STYLES: readonly RenderStyle[] = ["verbose", "compact"];

/** Extra information returned by every step. */
export interface StepInfo {
  /** One entry per language agent: whether its answer parsed to a legal action. */
  valid: boolean[];
  /** One entry per language agent: the domain action actually executed. */
  actions: number[];
  /** Whether the episode counts as a success so far (meaningful on the last step). */
  success?: boolean;
  /** Environment-specific extras (e.g. Frozen Lake's `state` and `prob`). */
  [k: string]: unknown;
}

/** The result of one environment step (Gymnasium's reward/terminated/truncated/info). */
export interface StepResult {
  /** One reward per language agent (format penalties already subtracted). */
  rewards: number[];
  /** The episode reached a terminal state of the game. */
  terminated: boolean;
  /** The episode hit the step cap (may be true together with `terminated`, as in Gymnasium). */
  truncated: boolean;
  /** Validity, executed actions, success and extras. */
  info: StepInfo;
}

/** A text-mediated environment: the contract shared by rollouts, policies and evaluation. */
export interface TextEnv {
  /** A short identifier, e.g. `FrozenLake-4x4-slippery`. */
  readonly name: string;
  /**
   * The scenario the current episode plays, for an environment that plays several (a mixture);
   * absent, the episode plays `name`. Rollouts record it on every episode.
   */
  readonly scenario?: string;
  /** Number of language agents (scripted opponents are internal and not counted). */
  readonly numAgents: number;
  /** Action names indexed by domain action, e.g. `["left","down","right","up"]`. */
  readonly actionNames: readonly string[];
  /** The action executed in place of an invalid (⊥) answer. */
  readonly defaultAction: number;
  /**
   * Start a new episode.
   * @param initialStateSeed fixes the map/board/initial state.
   * @param dynamicsSeed seeds slips, opponents and respawns (defaults to `initialStateSeed`).
   *   A group of episodes shares `initialStateSeed` and differs in `dynamicsSeed`.
   */
  reset(initialStateSeed: number, dynamicsSeed?: number): void;
  /** Instructions (`system`) and the current state only (`user`) for one agent (default 0). */
  observe(agent?: number): { system: string; user: string };
  /** Parse a model's answer (case-insensitive); `null` means invalid (⊥). */
  parseAction(text: string, agent?: number): number | null;
  /** The canonical answer text for an action, e.g. `<action>left</action>`. */
  formatAction(action: number): string;
  /** Advance with one domain action per language agent. Throws on a finished episode. */
  step(actions: number[]): StepResult;
  /**
   * Parse one answer per agent and step; an invalid answer executes {@link TextEnv.defaultAction},
   * subtracts `formatPenalty` from that agent's reward and records `valid = false`.
   */
  stepText(texts: string[], formatPenalty?: number): StepResult;
  /** Whether the current episode has ended (terminated or truncated). */
  readonly done: boolean;
  /** Steps taken in the current episode. */
  readonly t: number;
  /** The step cap after which an episode is truncated. */
  readonly maxSteps: number;
}

/** Canonical answers per action-name list: the fast path of {@link parseActionTag}. */
const _canonical = new WeakMap<readonly string[], Map<string, number>>();
const _THINK_BLOCK = /<\s*think\s*>[\s\S]*?<\s*\/\s*think\s*>/gi;
const _THINK_OPEN = /<\s*think\s*>/i;
/** The first complete action tag; the `d` flag gives the name's indices. */
const _ACTION_TAG = /<\s*action\s*>\s*([^<]*?)\s*<\s*\/\s*action\s*>/id;

/**
 * Read the action name from an answer in the toolkit's format (see the module doc for the rules).
 *
 * @param text the model's answer.
 * @param names the environment's action names, lower case.
 * @returns the index of the named action, or `null` when the answer names no legal action.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseActionTag } from "./tsmg.ts";
 * assert.equal(parseActionTag("<think>go right?</think> <action> Down </action>", ["left", "down"]), 1);
 * ```
 */
export function parseActionTag(text: string, names: readonly string[]): number | null {
  if (typeof text !== "string") return null;
  let exact = _canonical.get(names);
  if (exact === undefined) {
    exact = new Map(names.map((n, i) => [formatActionTag(n), i]));
    _canonical.set(names, exact);
  }
  const hit = exact.get(text);
  if (hit !== undefined) return hit;
  const span = actionNameSpan(text);
  if (span === null) return null;
  const i = names.indexOf(text.slice(span[0], span[1]).toLowerCase());
  return i >= 0 ? i : null;
}

/**
 * Where the parser reads the action name: the character range of the name inside the answer's
 * first complete action tag, by the rules of {@link parseActionTag} (complete `<think>` blocks are
 * skipped, an unclosed `<think>` hides the rest). The range is returned whether or not the name is
 * a legal action; an answer without a complete tag has none.
 *
 * @param text the model's answer.
 * @returns `[start, end)` in `text` (empty when the tag is empty), or `null` without a tag.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { actionNameSpan } from "./tsmg.ts";
 * assert.deepEqual(actionNameSpan("<action>left</action>"), [8, 12]);
 * assert.deepEqual(actionNameSpan("<think><action>up</action></think><action> down </action>x"), [43, 47]);
 * assert.equal(actionNameSpan("<action>left"), null);
 * ```
 */
export function actionNameSpan(text: string): [number, number] | null {
  if (typeof text !== "string" || text.indexOf("<") < 0) return null;
  let body = text;
  if (/think/i.test(body)) {
    // blank the reasoning out with spaces of the same length, so indices stay those of `text`
    body = body.replace(_THINK_BLOCK, (block) => " ".repeat(block.length));
    const open = body.search(_THINK_OPEN);
    if (open >= 0) body = body.slice(0, open);
  }
  const m = _ACTION_TAG.exec(body);
  if (m === null || m.indices === undefined) return null;
  const name = m.indices[1];
  return name === undefined ? null : [name[0], name[1]];
}

/**
 * Whether an answer is exactly the canonical answer of the action it names: nothing before the
 * tag, after it or inside it, no other case or spacing. The parser reads more than this (see the
 * module doc); a strict reader counts everything else as invalid.
 *
 * @param env the environment (its parser and canonical answers).
 * @param text the model's answer.
 * @param agent the answering agent (default 0).
 * @returns true when `text` parses to an action `a` and equals `env.formatAction(a)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrozenLakeEnv } from "./frozen_lake.ts";
 * import { isCanonicalAnswer } from "./tsmg.ts";
 * const env = new FrozenLakeEnv();
 * assert.equal(isCanonicalAnswer(env, "<action>left</action>"), true);
 * assert.equal(isCanonicalAnswer(env, "<action>left</action>0right"), false); // parses as left
 * assert.equal(isCanonicalAnswer(env, "<action>jump</action>"), false); // parses to nothing
 * ```
 */
export function isCanonicalAnswer(env: TextEnv, text: string, agent = 0): boolean {
  const a = env.parseAction(text, agent);
  return a !== null && text === env.formatAction(a);
}

/**
 * The canonical answer text for an action name.
 * @param name the action's name.
 * @returns `<action>name</action>`.
 */
export function formatActionTag(name: string): string {
  return `<action>${name}</action>`;
}

/**
 * Check a render style option, naming the bad value.
 * @param style the value to check (undefined gives the default `"verbose"`).
 * @param where the option's owner, for the error message.
 * @returns the render style.
 */
export function checkRenderStyle(style: unknown, where: string): RenderStyle {
  if (style === undefined) return "verbose";
  if (style === "verbose" || style === "compact") return style;
  throw new Error(`${where}: renderStyle must be "verbose" or "compact", got ${String(style)}`);
}

/**
 * Check that a per-agent array has one entry per agent.
 * @param what the array's name (for the message).
 * @param arr the array.
 * @param n the number of agents.
 * @param where the caller (for the message).
 */
export function checkAgentCount(what: string, arr: unknown, n: number, where: string): void {
  if (!Array.isArray(arr) || arr.length !== n) {
    const got = Array.isArray(arr) ? `${arr.length} entries` : String(arr);
    throw new Error(`${where}: expected ${n} ${what} (one per language agent), got ${got}`);
  }
}

/**
 * Check a domain action, naming the bad value.
 * @param a the action.
 * @param names the action names (their count is the action space's size).
 * @param where the caller (for the message).
 */
export function checkAction(a: unknown, names: readonly string[], where: string): void {
  if (!Number.isInteger(a) || (a as number) < 0 || (a as number) >= names.length) {
    throw new Error(
      `${where}: unknown action ${String(a)}; expected an integer 0..${names.length - 1} ` +
        `(${names.map((n, i) => `${i}=${n}`).join(", ")})`,
    );
  }
}

/**
 * The shared implementation of {@link TextEnv.stepText}: parse, substitute the default action for
 * invalid answers, step, then subtract the penalty and mark validity.
 *
 * @param env the environment.
 * @param texts one answer per language agent.
 * @param formatPenalty subtracted from an agent's reward when its answer is invalid.
 * @returns the step result with `info.valid` filled in.
 */
export function stepTextWith(env: TextEnv, texts: string[], formatPenalty: number): StepResult {
  checkAgentCount("answers", texts, env.numAgents, `${env.name}.stepText`);
  if (!Number.isFinite(formatPenalty)) {
    throw new Error(
      `${env.name}.stepText: formatPenalty must be a finite number, got ${formatPenalty}`,
    );
  }
  const n = env.numAgents;
  const actions = new Array<number>(n);
  const valid = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const a = env.parseAction(texts[i], i);
    valid[i] = a !== null;
    actions[i] = a ?? env.defaultAction;
  }
  const res = env.step(actions);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) res.rewards[i] -= formatPenalty;
  }
  res.info.valid = valid;
  return res;
}
