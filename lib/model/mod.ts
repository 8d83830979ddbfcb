/**
 * The language model: Qwen2 in TensorFlow.js from Hugging Face checkpoint folders — config and
 * safetensors I/O, tokenizers and chat templates, forward pass with KV cache, batched generation,
 * teacher-forced scoring, AdamW, LoRA in PEFT layout, GGUF export and seeded model making.
 *
 * @module
 */
export { type ConfigForm, parseConfig, type Qwen2Config, toHfConfig } from "./config.ts";
export {
  bf16ToF32,
  decodeTensorBytes,
  type DType,
  DTYPE_SIZE,
  encodeTensorBytes,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
} from "./dtype.ts";
export {
  readSafetensorsHeader,
  readTensor,
  readTensorBytes,
  type SafetensorsHeader,
  type TensorData,
  type TensorEntry,
  writeSafetensors,
} from "./safetensors.ts";
export {
  type Checkpoint,
  countParameters,
  expectedTensorShapes,
  inspectCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type SaveOptions,
  type Weights,
} from "./checkpoint.ts";
export { type ChatMessage, type ChatTemplateOptions, Tokenizer } from "./tokenizer.ts";
export { chatMlTemplate, QWEN_DEFAULT_SYSTEM } from "./chat_template.ts";
export {
  byteTokenizerFiles,
  QWEN25_VOCAB_SIZE,
  qwenTokenizerFiles,
  type TokenizerFiles,
  writeTokenizerFiles,
} from "./byte_tokenizer.ts";
export {
  ANSWER_TAGS,
  domainTokenizerFiles,
  type DomainTokenizerOptions,
} from "./domain_tokenizer.ts";
export { makeCheckpoint, type MakeModelOptions, randomWeights } from "./make_model.ts";
export { type ForwardOptions, Qwen2Model } from "./qwen2.ts";
export { KVCache } from "./kv_cache.ts";
export { generate, type GenerateOptions, type GenerateResult } from "./generate.ts";
export { sampleToken, type SamplingOptions } from "./sampling.ts";
export {
  nextTokenLoss,
  sequenceLogprobs,
  type SequenceScores,
  sharedPrefixLength,
} from "./logprob.ts";
export {
  AdamW,
  type AdamWOptions,
  type AdamWSnapshot,
  type AdamWState,
  clipByGlobalNorm,
} from "./optim.ts";
export {
  attachLora,
  detachLora,
  loadLora,
  LORA_TARGETS,
  type LoraOptions,
  mergeLora,
  saveLora,
} from "./lora.ts";
export { writeGguf } from "./gguf.ts";
