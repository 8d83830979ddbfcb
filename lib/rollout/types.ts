/**
 * Plain, JSON-serialisable records that rollouts produce and the MS-GRPO core consumes: one
 * {@link StepRecord} per decision, one {@link Episode} per played episode.
 *
 * @module
 */

/** One decision of a language agent: the prompt it saw, the tokens it wrote, what they did. */
export interface StepRecord {
  /** Time step within the episode, starting at 0. */
  t: number;
  /** Token ids of the prompt (the rendered current state only, no history). */
  promptIds: number[];
  /** Token ids the policy generated for this step. */
  completionIds: number[];
  /** The generated text, decoded. */
  completionText: string;
  /** log π_old of each completion token at temperature 1 (same length as `completionIds`). */
  oldLogprobs: number[];
  /** The domain action executed (the environment's fallback action when `valid` is false). */
  action: number;
  /** Whether the action interpreter found a legal action in the completion. */
  valid: boolean;
  /** Reward of this step (format penalty already included). */
  reward: number;
  /** Whether the episode ended after this step. */
  done: boolean;
}

/** One episode of a group: all episodes of a group start from the same initial state. */
export interface Episode {
  /** Training iteration that produced the episode. */
  iteration: number;
  /** Group id within the iteration (one group per initial-state seed). */
  group: number;
  /** Index of the episode within its group. */
  index: number;
  /** The scenario the episode played (the environment's `scenario`, else its `name`). */
  scenario: string;
  /** Seed of the initial state (shared by the group). */
  initialStateSeed: number;
  /** Seed of the environment's dynamics for this episode. */
  dynamicsSeed: number;
  /** The decisions, in time order. */
  steps: StepRecord[];
  /** Undiscounted sum of the episode's rewards. */
  return: number;
  /** Whether the episode reached its goal. */
  success: boolean;
}
