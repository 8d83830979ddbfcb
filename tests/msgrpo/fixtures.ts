/**
 * Small builders of episodes and rows shared by the MS-GRPO tests.
 *
 * @module
 */
import type { Episode, StepRecord } from "../../lib/msgrpo/types.ts";

/** A step with `n` completion tokens whose ids/logprobs encode (episode tag, t, j). */
export function makeStep(tag: number, t: number, n: number, reward = 0, done = false): StepRecord {
  return {
    t,
    promptIds: [100 + tag, 200 + t],
    completionIds: Array.from({ length: n }, (_, j) => 1000 * tag + 10 * t + j),
    completionText: `a${tag}.${t}`,
    oldLogprobs: Array.from({ length: n }, (_, j) => -(tag + 1) - 0.1 * t - 0.01 * j),
    action: t % 4,
    valid: true,
    reward,
    done,
  };
}

/** An episode of `len` steps (2 completion tokens each) whose last step pays `ret`. */
export function makeEpisode(
  group: number,
  index: number,
  ret: number,
  len = 2,
  iteration = 0,
): Episode {
  const tag = 10 * group + index;
  return {
    iteration,
    group,
    index,
    scenario: "FrozenLake-NoSlip",
    initialStateSeed: 7 + group,
    dynamicsSeed: 1000 + tag,
    steps: Array.from(
      { length: len },
      (_, t) => makeStep(tag, t, 2, t === len - 1 ? ret : 0, t === len - 1),
    ),
    return: ret,
    success: ret > 0,
  };
}
