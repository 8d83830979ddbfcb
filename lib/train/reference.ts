/**
 * The reference policy of the KL term (`msgrpo.kl_beta` > 0). With `msgrpo.kl_reference: base`
 * (the spec) it is the frozen starting checkpoint. With `checkpoint` (a departure) it is the policy
 * as it was at the last training checkpoint: the trainer copies the policy's weights into it each
 * time it saves one, and a resumed run loads it from the checkpoint it resumes from, so resuming
 * stays exact. The KL then limits how far the policy moves within `checkpoint.every` iterations
 * instead of how far it moves from the base (a periodically reset reference, as in ProRL).
 *
 * @module
 */
import { Qwen2Model } from "../model/qwen2.ts";
import type { TrainConfig } from "./schema.ts";

/**
 * Load the reference policy of a run, or nothing when the loss has no KL term.
 *
 * @param cfg the training config.
 * @param weightsDir the folder the policy's weights came from (the base, or the checkpoint a
 *   resumed run continues from).
 * @returns a frozen model, or undefined when `msgrpo.kl_beta` is 0.
 */
export async function loadReference(
  cfg: TrainConfig,
  weightsDir: string,
): Promise<Qwen2Model | undefined> {
  if (!(cfg.msgrpo.kl_beta > 0)) return undefined;
  if (cfg.msgrpo.kl_reference === "base") {
    return await Qwen2Model.load(cfg.model.path, { trainable: false });
  }
  if (cfg.model.lora_rank > 0) {
    throw new Error(
      "msgrpo.kl_reference checkpoint needs full fine-tuning (model.lora_rank 0); " +
        "with LoRA use msgrpo.kl_reference base",
    );
  }
  return await Qwen2Model.load(weightsDir, { trainable: false });
}

/**
 * Copy the policy's weights into the reference (for `msgrpo.kl_reference: checkpoint`).
 *
 * @param reference the reference model (same shape as the policy).
 * @param policy the policy being trained.
 */
export function refreshReference(reference: Qwen2Model, policy: Qwen2Model): void {
  const to = reference.variables(), from = policy.variables();
  if (to.length !== from.length) {
    throw new Error(
      `reference.ts: the reference has ${to.length} tensors, the policy ${from.length}`,
    );
  }
  to.forEach((v, i) => {
    if (v.shape.join("x") !== from[i].shape.join("x")) {
      throw new Error(
        `reference.ts: tensor ${i} is ${v.shape.join("x")} in the reference, ` +
          `${from[i].shape.join("x")} in the policy`,
      );
    }
    v.assign(from[i]);
  });
}
