/**
 * Our tokenizer (Hugging Face tokenizer.json semantics) against llama.cpp's tokenizer loaded from
 * the GGUF export of the same folder: identical ids on varied text and ChatML markup.
 */
import assert from "node:assert/strict";
import { writeGguf } from "../../lib/model/gguf.ts";
import { makeCheckpoint } from "../../lib/model/make_model.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { Rng } from "../../lib/util/rng.ts";
import { disposeLlamaCpp, llamaCppUnavailable, type LlamaRef, openLlamaRef } from "./_llama_ref.ts";

const unavailable = await llamaCppUnavailable();
if (unavailable) console.log(`tokenizer parity tests skipped: ${unavailable}`);

/** Hand-picked strings: scripts, emoji, numbers, whitespace runs, contractions, code. */
const TEXTS = [
  "Hello world",
  "Hello, world! This is a simple test of the tokenizer.",
  "Café naïve façade résumé — Ångström, Zürich, São Paulo, Øresund, Łódź, İstanbul",
  "東京は日本の首都です。北京欢迎你！한국어 텍스트도 있습니다.",
  "Ελληνικά και русский язык, עברית, العربية, हिन्दी",
  "Emoji: 🎉🚀👍🏽 👨‍👩‍👧‍👦 ❤️ 🇯🇵",
  "Numbers: 0 7 42 1234567890 3.14159 -273.15 1e-6 $1,000,000 ½ ²",
  "   leading spaces\n\n\ttabs\t\tand   multiple    spaces   \r\n trailing   ",
  "\n\n\n",
  " ",
  "don't I'LL we're THEY'VE she'd it's",
  "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
  '{"action": "move", "args": [1, 2]} <a href="x">link</a>',
  "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
  '<tool_call>\n{"name": "f"}\n</tool_call><think>hmm</think><|endoftext|>',
  "text<|im_end|>more<|im_start|><|im_start|> spaced <|im_end|> ",
];

/** Pieces the seeded fuzz strings are assembled from (all already in NFC). */
const PIECES = [
  "a",
  "Z",
  "the",
  " the",
  "ing",
  "é",
  "ß",
  "ü",
  "東",
  "京",
  "语",
  "한",
  "😀",
  "👍🏽",
  "‍",
  "1",
  "23",
  "456",
  ".",
  ",",
  "!",
  "?",
  "'s",
  "'t",
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  "-",
  "_",
  "(",
  ")",
  "{",
  "}",
  "<|im_start|>",
  "<|im_end|>",
  "<think>",
  "|",
  "<",
  ">",
  "/",
  "\\",
  "$",
  "%",
  "\u00a0",
];

function _fuzzTexts(seed: number, n: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(24);
    let s = "";
    for (let j = 0; j < len; j++) s += rng.choice(PIECES);
    out.push(s);
  }
  return out;
}

Deno.test({
  name: "Tokenizer.encode() equals llama.cpp tokenization of the exported GGUF vocabulary",
  ignore: unavailable !== undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tok_parity_" });
    let ref: LlamaRef | undefined;
    try {
      const made = await makeCheckpoint(dir, {
        hidden: 8,
        layers: 1,
        heads: 2,
        kvHeads: 1,
        intermediate: 8,
        seed: 11,
        tokenizer: "qwen",
      });
      const gguf = `${dir}/model.gguf`;
      await writeGguf(gguf, made.config, made.weights, dir);
      ref = await openLlamaRef(gguf, { vocabOnly: true });
      const llama = ref;
      const tok = await Tokenizer.load(dir);

      await t.step("golden ids of a few strings", () => {
        assert.deepEqual(tok.encode("Hello world"), [9707, 1879]);
        assert.deepEqual(llama.tokenize("Hello world", true), [9707, 1879]);
        assert.deepEqual(llama.tokenize("<|im_start|>user\n", true), [151644, 872, 198]);
        assert.equal(llama.model.tokens.eos, 151645);
        assert.equal(llama.model.tokens.bos, 151643);
      });

      await t.step("varied text: scripts, emoji, numbers, whitespace, markup", () => {
        for (const text of TEXTS) {
          assert.deepEqual(tok.encode(text), llama.tokenize(text, true), JSON.stringify(text));
        }
      });

      await t.step("decode() equals llama.cpp detokenization", () => {
        for (const text of TEXTS) {
          const ids = tok.encode(text);
          assert.equal(tok.decode(ids), llama.detokenize(ids, true), JSON.stringify(text));
          assert.equal(tok.decode(ids), text);
        }
      });

      await t.step("ChatML prompts from the chat template", () => {
        const convs = [
          [{ role: "user" as const, content: "What is 2+2?" }],
          [
            { role: "system" as const, content: "You play FrozenLake. Answer with one move." },
            { role: "user" as const, content: "Grid:\nSFFF\nFHFH\nFFFH\nHFFG\nYour move?" },
            { role: "assistant" as const, content: "<think>go right</think>right" },
            { role: "user" as const, content: "Now: 東京 🎉 café" },
          ],
        ];
        for (const messages of convs) {
          const text = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
          const ids = tok.encodeChat(messages, { addGenerationPrompt: true });
          assert.ok(ids.filter((i) => i === 151644).length >= 2, "expected <|im_start|> tokens");
          assert.deepEqual(ids, llama.tokenize(text, true), JSON.stringify(text));
        }
      });

      await t.step("300 seeded random strings", () => {
        for (const text of _fuzzTexts(20251125, 300)) {
          assert.deepEqual(tok.encode(text), llama.tokenize(text, true), JSON.stringify(text));
        }
      });
    } finally {
      await ref?.dispose();
      await disposeLlamaCpp();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
