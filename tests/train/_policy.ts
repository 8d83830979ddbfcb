/** A one-layer, 12-token policy and its optimizer, for the update tests. */
import { parseConfig } from "../../lib/model/config.ts";
import { randomWeights } from "../../lib/model/make_model.ts";
import { AdamW } from "../../lib/model/optim.ts";
import { Qwen2Model } from "../../lib/model/qwen2.ts";

const CONFIG = parseConfig({
  model_type: "qwen2",
  vocab_size: 12,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  intermediate_size: 16,
});

/**
 * A seeded tiny policy with a fresh AdamW.
 *
 * @param seed weight seed.
 * @param lr learning rate.
 * @returns the model and its optimizer (dispose the model when done).
 */
export function tinyPolicy(seed: number, lr: number): { model: Qwen2Model; optimizer: AdamW } {
  const model = Qwen2Model.fromWeights(CONFIG, randomWeights(CONFIG, { seed }));
  return { model, optimizer: new AdamW(model.trainableVariables(), { lr }) };
}
