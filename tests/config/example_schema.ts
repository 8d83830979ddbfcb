/** A realistic training schema used by the config tests (the trainer owns the real one). */

import { c, type Infer } from "../../lib/config/mod.ts";

export const SCHEMA = c.object({
  seed: c.int({ default: 1, min: 0, doc: "random seed of the run" }),
  run_name: c.string({
    default: null,
    nullable: true,
    doc: "run directory name (null: generated)",
  }),
  backend: c.enum(["wasm", "cpu", "webgpu"], { default: "wasm", doc: "tfjs backend" }),
  msgrpo: c.object({
    group_size: c.int({ default: 16, min: 2, doc: "episodes per group (G)" }),
    groups: c.int({ default: 2, min: 1, doc: "initial-state seeds per iteration (N)" }),
    clip_eps: c.float({ default: 0.2, gt: 0, lt: 1, doc: "PPO clip range ε" }),
    sampling: c.enum(["aaw", "uniform", "all"], {
      default: "aaw",
      doc: "episode sampling: |A|-weighted, uniform or all",
    }),
    scale_std: c.bool({ default: true, doc: "divide advantages by the group std" }),
    temperature: c.float({ default: 1.0, gt: 0, max: 5, doc: "sampling temperature τ" }),
  }, { doc: "MS-GRPO update" }),
  optim: c.object({
    lr: c.float({ default: 3e-4, gt: 0, doc: "AdamW learning rate" }),
    min_lr: c.float({ default: 0, min: 0, doc: "floor of the learning-rate schedule" }),
    grad_clip: c.float({
      default: 1.0,
      doc: "gradient-norm clip (0 = off)",
      check: (v) => v < 0 ? `must be ≥ 0 or exactly 0 to switch off, got ${v}` : undefined,
    }),
  }, {
    doc: "optimiser",
    check: (o) => o.min_lr <= o.lr ? undefined : `min_lr (${o.min_lr}) must be ≤ lr (${o.lr})`,
  }),
  eval: c.object({
    every: c.int({ default: 10, min: 1, doc: "evaluate every K iterations" }),
    scenarios: c.array(c.string({ doc: "scenario name", minLength: 1 }), {
      default: ["4x4", "8x8"],
      minLength: 1,
      doc: "evaluation scenarios",
    }),
    seeds: c.array(c.int({ doc: "seed", min: 0 }), { default: [1, 2, 3], doc: "episode seeds" }),
  }, { doc: "evaluation" }),
});

export type ExampleConfig = Infer<typeof SCHEMA>;
