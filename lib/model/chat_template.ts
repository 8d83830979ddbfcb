/**
 * The Qwen2.5 ChatML chat template and the `tokenizer_config.json` written next to it.
 *
 * Each turn renders as `<|im_start|>{role}\n{content}<|im_end|>\n`; when the conversation does not
 * begin with a system turn, the default Qwen2.5 system turn is inserted; the generation prompt is
 * `<|im_start|>assistant\n`.
 *
 * @module
 */

/** The system prompt Qwen2.5 inserts when a conversation has none. */
export const QWEN_DEFAULT_SYSTEM =
  "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

/**
 * The ChatML template in Jinja, with a given default system prompt.
 *
 * @param defaultSystem system prompt used when the first message is not a system turn.
 * @returns the Jinja source.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chatMlTemplate } from "./chat_template.ts";
 * assert.deepEqual(chatMlTemplate().includes("<|im_start|>"), true);
 * ```
 */
export function chatMlTemplate(defaultSystem: string = QWEN_DEFAULT_SYSTEM): string {
  if (/['\\{}%]/.test(defaultSystem)) {
    throw new Error(
      `chatMlTemplate: default system prompt may not contain quotes, backslashes or braces`,
    );
  }
  return [
    "{%- if messages and messages[0]['role'] == 'system' %}",
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
    "{%- else %}",
    `{{- '<|im_start|>system\\n${defaultSystem}<|im_end|>\\n' }}`,
    "{%- endif %}",
    "{%- for message in messages %}",
    "{%- if not (loop.first and message['role'] == 'system') %}",
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
    "{%- endif %}",
    "{%- endfor %}",
    "{%- if add_generation_prompt %}",
    "{{- '<|im_start|>assistant\\n' }}",
    "{%- endif %}",
  ].join("\n");
}

/** One entry of `added_tokens` in `tokenizer.json`. */
export interface AddedTokenSpec {
  /** Token id. */
  id: number;
  /** Token text. */
  content: string;
  /** Whether decoding with skipSpecial drops it. */
  special: boolean;
}

/**
 * The `tokenizer_config.json` of a ChatML tokenizer (Qwen2Tokenizer conventions: no BOS,
 * eos `<|im_end|>`, pad `<|endoftext|>`).
 *
 * @param added the added tokens of the matching `tokenizer.json`.
 * @param modelMaxLength `model_max_length`.
 * @returns the JSON object.
 */
export function chatMlTokenizerConfig(
  added: AddedTokenSpec[],
  modelMaxLength = 32768,
): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const t of added) {
    decoder[String(t.id)] = {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: t.special,
    };
  }
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: added.filter((t) => t.special && t.content !== "<|endoftext|>")
      .map((t) => t.content),
    bos_token: null,
    chat_template: chatMlTemplate(),
    clean_up_tokenization_spaces: false,
    eos_token: "<|im_end|>",
    errors: "replace",
    model_max_length: modelMaxLength,
    pad_token: "<|endoftext|>",
    split_special_tokens: false,
    tokenizer_class: "Qwen2Tokenizer",
    unk_token: null,
  };
}
