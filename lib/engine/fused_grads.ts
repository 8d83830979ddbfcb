/**
 * The gradient configs of the fused ops (backend-independent tfjs registry entries), registered
 * once per process by whichever backend installs fused kernels first: the fast backend's native
 * kernels (`fast.ts`) or the WGSL ones (`webgpu_kernels.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { attentionGradConfig } from "./ops_attention.ts";
import { logprobsGradConfig } from "./ops_logprobs.ts";
import { normGradConfigs } from "./ops_norm.ts";
import { ropeGradConfig } from "./ops_rope.ts";

/** Register every fused op's gradient config that is not registered yet (idempotent). */
export function registerFusedGradients(): void {
  for (const g of [...normGradConfigs, attentionGradConfig, logprobsGradConfig, ropeGradConfig]) {
    if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
  }
}
