import assert from "node:assert/strict";
import { ChoiceText, findStop } from "../../lib/serve/choice_text.ts";
import { createServer } from "../../lib/serve/server.ts";
import type { Completion } from "../../lib/policy/types.ts";
import type { RowOptions, ServedPolicy, ServeInput } from "../../lib/serve/types.ts";

const dec = (ids: number[]) => String.fromCharCode(...ids);
const codes = (s: string) => [...s].map((c) => c.charCodeAt(0));

Deno.test("ChoiceText holds back a possible stop-string start and a partial character", () => {
  assert.equal(findStop("ab</x>cd</y>", ["</y>", "</x>"]), 2);
  assert.equal(findStop("abc", []), -1);
  const t = new ChoiceText(["END"], dec);
  const deltas: string[] = [];
  for (const id of codes("hello EN")) {
    assert.equal(t.push(id), false);
    deltas.push(t.takeDelta());
  }
  // "EN" (two characters: longest stop − 1) is held back.
  assert.equal(deltas.join(""), "hello ");
  assert.equal(t.push("D".charCodeAt(0)), true);
  assert.equal(t.takeDelta(), "");
  const fin = t.finish({ text: "hello END", finishReason: "length" } as Completion);
  assert.deepEqual(fin, { text: "hello ", finishReason: "stop", delta: "" });
  // A trailing U+FFFD (bytes of a character still arriving) is not sent yet.
  const u = new ChoiceText([], dec);
  u.push(0x61);
  u.push(0xfffd);
  assert.equal(u.takeDelta(), "a");
  // Without a decoder the text arrives at the end, stop strings applied to it.
  const plain = new ChoiceText(["."]);
  assert.equal(plain.push(1), false);
  assert.deepEqual(plain.finish({ text: "Go left. Now", finishReason: "length" } as Completion), {
    text: "Go left",
    finishReason: "stop",
    delta: "Go left",
  });
});

/** Answers "abc…" (one letter per token) up to max_tokens, with no token stream. */
class Letters implements ServedPolicy {
  readonly name = "letters";
  actRows(inputs: ServeInput[], o: RowOptions, seeds: number[]): Promise<Completion[]> {
    return Promise.resolve(inputs.map((_, i) => {
      const ids = Array.from({ length: o.maxNewTokens }, (_, j) => 97 + (j + seeds[i]) % 26);
      return {
        text: dec(ids),
        completionIds: ids,
        logprobs: ids.map(() => -1),
        topLogprobs: ids.map((id) => [{ token: id, logprob: -1 }, { token: 0, logprob: -2 }]),
        finishReason: "length" as const,
        usage: { promptTokens: 2, completionTokens: ids.length },
      };
    }));
  }
  tokenText = (id: number) => dec([id]);
}

async function sse(url: string, body: unknown): Promise<Record<string, unknown>[] | string[]> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
  const events = (await res.text()).split("\n\n").filter((e) => e !== "");
  assert.ok(events.every((e) => e.startsWith("data: ")), events.join("|"));
  assert.equal(events.at(-1), "data: [DONE]");
  return events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
}

Deno.test("/v1/completions streams legacy chunks, n choices, top log-probs and a usage chunk", async () => {
  const server = createServer(new Letters(), { onError: () => {} });
  try {
    const body = { prompt: "x", max_tokens: 5, n: 2, seed: 0, logprobs: 2, stop: "d" };
    const events = await sse(`${server.url}/completions`, {
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    }) as Record<string, unknown>[];
    // deno-lint-ignore no-explicit-any
    const choices = events.flatMap((e: any) => e.choices);
    // deno-lint-ignore no-explicit-any
    const text = (i: number) => choices.filter((c: any) => c.index === i).map((c: any) => c.text);
    // Choice 0 (seed 0) is "abcde" cut before "d"; choice 1 has its own seed.
    assert.equal(text(0).join(""), "abc");
    const whole = await (await fetch(`${server.url}/completions`, {
      method: "POST",
      body: JSON.stringify(body),
    })).json();
    assert.equal(whole.choices[0].text, "abc");
    assert.equal(text(1).join(""), whole.choices[1].text);
    assert.deepEqual(whole.choices[0].logprobs.top_logprobs[0], { a: -1, "\u0000": -2 });
    const last = events.at(-1) as Record<string, unknown>;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, whole.usage);
    assert.deepEqual(whole.usage, { prompt_tokens: 2, completion_tokens: 10, total_tokens: 12 });
    assert.ok(events.slice(0, -1).every((e) => e.usage === null));
    // deno-lint-ignore no-explicit-any
    const finishes = choices.filter((c: any) => c.finish_reason !== null);
    // deno-lint-ignore no-explicit-any
    assert.deepEqual(finishes.map((c: any) => [c.index, c.finish_reason]).sort(), [
      [0, "stop"],
      [1, whole.choices[1].finish_reason],
    ]);
  } finally {
    await server.close();
  }
});
