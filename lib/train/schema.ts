/**
 * The MS-GRPO training configuration: every option of `docs/algorithm.md` (and every
 * decision the paper leaves open) as a typed, documented, validated field.
 *
 * @module
 */
import { c, type Infer } from "../config/mod.ts";
import { BACKEND_NAMES } from "../engine/backend.ts";

/** The fields of {@link trainSchema}, to extend in experiment schemas (`c.object({...trainFields, …})`). */
export const trainFields = {
  seed: c.int({
    default: 1,
    doc: "run seed: every random choice derives from (seed, iteration, …)",
  }),
  model: c.object({
    path: c.string({ default: "", doc: "Hugging Face checkpoint folder of the policy to train" }),
    backend: c.enum(["auto", ...BACKEND_NAMES], {
      default: "auto",
      doc: "tfjs backend, the engine's names (auto: fastest available CPU path)",
    }),
    lora_rank: c.int({ default: 0, min: 0, doc: "LoRA rank (0 = full fine-tuning)" }),
    lora_alpha: c.float({
      default: 16,
      gt: 0,
      doc: "LoRA scaling numerator (scale = alpha / rank)",
    }),
  }, { doc: "policy model" }),
  env: c.object({
    scenario: c.string({
      default: "FrozenLake-NoSlip",
      doc: "scenario whose settings the training episodes use (random maps from training seeds)",
    }),
    render_style: c.enum(["compact", "verbose"], { default: "compact", doc: "prompt rendering" }),
    format_penalty: c.float({
      default: 0.1,
      min: 0,
      doc: "reward subtracted for an invalid answer",
    }),
  }, { doc: "training environment" }),
  msgrpo: c.object({
    iterations: c.int({ default: 100, min: 1, doc: "training iterations" }),
    groups: c.int({ default: 2, min: 1, doc: "initial states per iteration (N)" }),
    group_size: c.int({ default: 16, min: 2, doc: "episodes per group (G)" }),
    replay_groups: c.int({
      default: 0,
      min: 0,
      doc: "groups per iteration replayed from the buffer of failed initial states (0 = paper)",
    }),
    replay_capacity: c.int({
      default: 64,
      min: 1,
      doc: "most initial states the replay buffer keeps (oldest dropped)",
    }),
    replay_threshold: c.float({
      default: 1,
      gt: 0,
      max: 1,
      doc:
        "a played initial state stays in the replay buffer while its group's success is below this",
    }),
    temperature: c.float({ default: 1.0, gt: 0, doc: "sampling temperature of rollouts (τ)" }),
    max_new_tokens: c.int({ default: 24, min: 1, doc: "cap on generated tokens per decision" }),
    stop: c.array(c.string({ minLength: 1, doc: "stop string" }), {
      default: [],
      doc: "stop strings: an answer ends at the token that completes one (kept, trained on), in " +
        "rollouts and evaluation; [] = until the end-of-text token or the cap (paper)",
    }),
    strict_answers: c.bool({
      default: false,
      doc:
        "in training rollouts an answer is valid only if it is exactly the canonical answer of " +
        "the action it names (e.g. <action>left</action>); anything else gets the default action " +
        "and the format penalty (false = the environment's own parser, paper)",
    }),
    gamma: c.float({
      default: 1,
      min: 0,
      max: 1,
      doc: "discount of the episode return (1 = undiscounted)",
    }),
    advantage_norm: c.enum(["std", "none"], {
      default: "std",
      doc: "divide centred returns by the std (none = Dr.GRPO)",
    }),
    advantage_scope: c.enum(["group", "batch"], {
      default: "group",
      doc: "std over the group or the pool",
    }),
    step_advantage: c.float({
      default: 0,
      min: 0,
      doc: "weight ω of the step-level advantage: each step trains with Â_e + ω · A^S, A^S its " +
        "return-to-go centred over the group's visits of the same state (GiGPO; 0 = paper)",
    }),
    solved_advantage: c.float({
      default: 0,
      min: 0,
      doc: "Â of every episode of a group that all succeeded (self-imitation; 0 = paper: Â = 0)",
    }),
    kl_reference: c.enum(["base", "checkpoint"], {
      default: "base",
      doc: "policy the KL term anchors to: the frozen base, or the policy at the last checkpoint",
    }),
    sampling: c.enum(["aaw", "uniform", "all"], {
      default: "aaw",
      doc: "episode sampling: |A|-weighted, uniform, or every episode once",
    }),
    zero_advantage_rows: c.enum(["train", "skip"], {
      default: "train",
      doc: "rows of episodes with A = 0: train them (paper) or skip them, still counted in the " +
        "loss normalizer (no entropy/KL term on them, the same policy-gradient step)",
    }),
    draws: c.int<true>({
      default: null,
      nullable: true,
      min: 1,
      doc: "episodes drawn (M; null = pool size)",
    }),
    replacement: c.bool({ default: true, doc: "draw with replacement" }),
    exponent: c.float({ default: 1, gt: 0, doc: "P(e) ∝ |A_e|^exponent" }),
    clip_eps: c.float({ default: 0.2, gt: 0, lt: 1, doc: "PPO clip range ε (lower, and upper)" }),
    clip_eps_high: c.float<true>({
      default: null,
      nullable: true,
      gt: 0,
      doc: "upper PPO clip ε_high (DAPO's clip-higher; null = clip_eps)",
    }),
    kl_guard: c.float<true>({
      default: null,
      nullable: true,
      gt: 0,
      doc: "undo an update whose k3 KL to π_old on the KL probe exceeds this (nats; null = off)",
    }),
    kl_guard_mode: c.enum(["undo", "shrink"], {
      default: "undo",
      doc: "an update above the KL guard is undone, or shrunk (halved until under it, else undone)",
    }),
    kl_probe_rows: c.int({
      default: 64,
      min: 1,
      doc: "pool steps, drawn uniformly, on which the KL guard measures an update",
    }),
    kl_beta: c.float({
      default: 0,
      min: 0,
      doc: "weight of the k3 KL to the frozen reference policy",
    }),
    entropy_coef: c.float({
      default: 0,
      min: 0,
      doc: "entropy bonus coefficient (with entropy_target: its starting value)",
    }),
    entropy_tokens: c.enum(["all", "action"], {
      default: "all",
      doc: "the completion tokens the entropy bonus applies to: all of them, or only the tokens " +
        "of the action name the parser reads (lib/msgrpo/decision_tokens.ts)",
    }),
    entropy_target: c.float<true>({
      default: null,
      nullable: true,
      gt: 0,
      doc: "target mean token entropy (nats); the coefficient then adapts (null = fixed bonus)",
    }),
    entropy_coef_rate: c.float({
      default: 0.1,
      gt: 0,
      doc: "adaptation rate of the entropy coefficient (log-space step per iteration)",
    }),
    idle_update: c.enum(["skip", "regularize"], {
      default: "skip",
      doc: "when every Â is 0: no update (paper), or an update of the entropy/KL terms alone",
    }),
    epochs: c.int({ default: 1, min: 1, doc: "passes over the drawn batch per iteration" }),
    minibatches: c.int({ default: 1, min: 1, doc: "optimizer steps per pass" }),
    shared_prefix: c.bool({
      default: false,
      doc: "score each micro-batch's common prompt prefix once (same numbers up to rounding)",
    }),
    micro_batch_tokens: c.int({
      default: 8192,
      min: 1,
      doc: "padded tokens per forward/backward chunk",
    }),
  }, { doc: "MS-GRPO" }),
  optim: c.object({
    lr: c.float({ default: 3e-4, gt: 0, doc: "AdamW learning rate" }),
    weight_decay: c.float({ default: 0, min: 0, doc: "AdamW decoupled weight decay" }),
    beta1: c.float({ default: 0.9, min: 0, lt: 1, doc: "AdamW β1" }),
    beta2: c.float({ default: 0.999, min: 0, lt: 1, doc: "AdamW β2" }),
    grad_clip: c.float({ default: 1, gt: 0, doc: "global gradient-norm clip" }),
    schedule: c.enum(["constant", "cosine"], {
      default: "constant",
      doc: "learning-rate schedule over the iterations (after the warm-up)",
    }),
    warmup: c.int({ default: 0, min: 0, doc: "iterations of linear learning-rate warm-up" }),
    min_lr_ratio: c.float({
      default: 0,
      min: 0,
      max: 1,
      doc: "cosine schedule: the last iteration's learning rate as a fraction of lr",
    }),
  }, { doc: "optimizer" }),
  eval: c.object({
    every: c.int({
      default: 10,
      min: 1,
      doc: "evaluate every K iterations (and at 0 and the end)",
    }),
    scenarios: c.array(c.string({ doc: "scenario" }), {
      default: ["FrozenLake-NoSlip"],
      doc: "evaluation scenarios (their 50 fixed episodes); empty = no evaluation",
    }),
    temperature: c.float({
      default: 0.5,
      min: 0,
      doc: "evaluation sampling temperature (0 = greedy)",
    }),
    greedy: c.bool({
      default: true,
      doc: "also play every evaluation episode greedily (the eval table's greedy_* columns)",
    }),
    episodes: c.int<true>({
      default: null,
      nullable: true,
      min: 1,
      doc: "use only the first n episodes",
    }),
  }, { doc: "evaluation" }),
  checkpoint: c.object({
    every: c.int({
      default: 10,
      min: 1,
      doc: "save a checkpoint every K iterations (and at the end)",
    }),
  }, { doc: "checkpoints" }),
};

/** Schema of a training run; `loadConfig(trainSchema, …)` resolves and validates it. */
export const trainSchema = c.object(trainFields);

/** A resolved training configuration. */
export type TrainConfig = Infer<typeof trainSchema>;
