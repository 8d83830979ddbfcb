import { assertEquals, assertThrows } from "./_assert.ts";
import { checkRenderStyle, formatActionTag, parseActionTag } from "../../lib/env/tsmg.ts";

const NAMES = ["left", "down", "right", "up"];

Deno.test("parseActionTag() reads the canonical answer of every action", () => {
  NAMES.forEach((n, i) => assertEquals(parseActionTag(formatActionTag(n), NAMES), i));
});

Deno.test("parseActionTag() is lenient about case and whitespace", () => {
  assertEquals(parseActionTag("<ACTION>Left</ACTION>", NAMES), 0);
  assertEquals(parseActionTag("< action >  dOwN \n</ action >", NAMES), 1);
  assertEquals(parseActionTag("I pick <action>\tRIGHT </action>.", NAMES), 2);
  assertEquals(parseActionTag("<Think>hmm</THINK><action>up</action>", NAMES), 3);
});

Deno.test("parseActionTag() ignores actions inside complete think blocks", () => {
  const t = "<think>maybe <action>left</action>?</think>\n<action>right</action>";
  assertEquals(parseActionTag(t, NAMES), 2);
  assertEquals(parseActionTag("<think>only <action>up</action></think>", NAMES), null);
});

Deno.test("parseActionTag() treats text after an unclosed think as reasoning", () => {
  assertEquals(parseActionTag("<think>I go <action>left</action>", NAMES), null);
  assertEquals(parseActionTag("<action>down</action><think>second thoughts", NAMES), 1);
});

Deno.test("parseActionTag() takes the first action tag", () => {
  assertEquals(parseActionTag("<action>up</action> <action>down</action>", NAMES), 3);
});

Deno.test("parseActionTag() returns null for answers naming no legal action", () => {
  for (
    const bad of [
      "",
      "left",
      "<action>jump</action>",
      "<action></action>",
      "<action>left",
      "action>left</action>",
      "<action>left right</action>",
      "<action>lef</action>",
      "<act>left</act>",
    ]
  ) {
    assertEquals(parseActionTag(bad, NAMES), null, `answer ${JSON.stringify(bad)}`);
  }
});

Deno.test("checkRenderStyle() names a bad style", () => {
  assertEquals(checkRenderStyle(undefined, "X"), "verbose");
  assertEquals(checkRenderStyle("compact", "X"), "compact");
  assertThrows(() => checkRenderStyle("fancy", "X"), Error, "fancy");
});
