/**
 * Registers tfjs's gradient functions. `@tensorflow/tfjs-core` alone ships none (its
 * `register_all_gradients` module is not loadable as ESM), so training through the core ops
 * needs the union package, whose bundle registers all of them into the shared registry.
 * Imported for its side effect by `backend.ts`.
 *
 * @module
 */
import "@tensorflow/tfjs";
import * as tf from "@tensorflow/tfjs-core";

/** True when the stock gradients are registered (checked on `Sum`). */
export function stockGradientsRegistered(): boolean {
  return tf.getGradient("Sum") !== undefined;
}
