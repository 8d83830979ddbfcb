import assert from "node:assert/strict";
import { FrozenLakeEnv } from "../../lib/env/frozen_lake.ts";
import { actionNameSpan } from "../../lib/env/tsmg.ts";
import { writeTokenizerFiles } from "../../lib/model/byte_tokenizer.ts";
import { domainTokenizerFiles } from "../../lib/model/domain_tokenizer.ts";
import { Tokenizer } from "../../lib/model/tokenizer.ts";
import { decisionMasker, decisionTokenMask } from "../../lib/msgrpo/decision_tokens.ts";
import { renderTranscripts } from "../../lib/train/transcripts.ts";

Deno.test("actionNameSpan() finds the name the parser reads, by its rules", () => {
  const env = new FrozenLakeEnv();
  const cases: [string, [number, number] | null][] = [
    ["<action>left</action>", [8, 12]],
    ["x<action>right</action>0right</action>", [9, 14]],
    ["<action>right\u{fffd}<action>down</action>", [22, 26]], // the first complete tag
    ["< ACTION > Up </action >", [11, 13]],
    ["<think>down</think><action>up</action>", [27, 29]],
    ["<think><action>up</action>", null], // an unclosed think hides the rest
    ["<action></action>", [8, 8]],
    ["<action>left", null],
    ["left", null],
  ];
  for (const [text, span] of cases) {
    assert.deepEqual(actionNameSpan(text), span, text);
    // the span holds exactly the name parseAction reads, when that name is legal
    const a = env.parseAction(text);
    if (a !== null) {
      assert.equal(text.slice(...span!).toLowerCase(), env.actionNames[a], text);
    }
  }
});

Deno.test("decisionTokenMask() marks the action name's token in a domain tokenizer's answers", async () => {
  const make = () => new FrozenLakeEnv({ randomMap: { size: 4, p: 0.8 }, renderStyle: "compact" });
  const ex = renderTranscripts(make, { episodes: 30, seed: 2 });
  const dir = await Deno.makeTempDir({ prefix: "msgrpo-decision-" });
  await writeTokenizerFiles(
    dir,
    domainTokenizerFiles({ corpus: ex.flatMap((e) => [e.system, e.user, e.answer]), merges: 64 }),
  );
  const tok = await Tokenizer.load(dir);
  const decode = (ids: readonly number[]) => tok.decode([...ids], { skipSpecial: true });
  const eos = tok.eosTokenIds[0];
  assert.ok(eos !== undefined);
  const masked = (text: string, end: number[] = []) => {
    const ids = [...tok.encode(text), ...end];
    return { ids, mask: decisionTokenMask(ids, decode) };
  };
  // the canonical answer: <action> | right | </action> | end of text
  const canonical = masked("<action>right</action>", [eos]);
  assert.equal(canonical.ids.length, 4);
  assert.deepEqual(canonical.mask, [0, 1, 0, 0]);
  // stray text after, before and inside the answer never carries the bonus
  const after = masked("<action>right</action>0right</action>0right");
  assert.deepEqual(after.mask.slice(0, 3), [0, 1, 0]);
  assert.equal(after.mask.reduce((a, b) => a + b), 1, `${after.ids}: ${after.mask}`);
  const before = masked("\u{fffd}<action>down</action>");
  assert.equal(before.mask.reduce((a, b) => a + b), 1);
  assert.equal(decode(before.ids.filter((_, j) => before.mask[j] === 1)), "down");
  const inside = masked("<action>right\u{fffd}<action>right</action>");
  assert.deepEqual(
    inside.mask.map((m, j) => (m === 1 ? decode([inside.ids[j]]) : null)).filter((x) => x),
    ["right"],
  );
  assert.equal(inside.mask.lastIndexOf(1), inside.ids.length - 2, "the second right, the one read");
  // no complete tag: no decision token
  assert.deepEqual(masked("<action>right").mask, masked("<action>right").ids.map(() => 0));
  // a name split over several tokens marks each of them
  const split = masked("<action>rightdown</action>");
  const marked = split.ids.filter((_, j) => split.mask[j] === 1);
  assert.ok(marked.length >= 2, `${split.ids}`);
  assert.equal(decode(marked), "rightdown");
  // the cached masker gives the same masks
  const masker = decisionMasker(decode);
  for (const c of [canonical, after, before, inside, split]) {
    assert.deepEqual(masker(c.ids), c.mask);
  }
  await Deno.remove(dir, { recursive: true });
});
