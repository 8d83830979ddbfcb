/**
 * The text of one choice while it is generated: stop strings and the part that is safe to stream.
 *
 * A choice's text is the decoding of all its ids so far. It ends before the first stop string in
 * it (the stop string is not part of the text; the token that completed it is the last generated,
 * as in vLLM) and generation of that row ends there. While generating, the text that may be sent
 * is held back by `longest stop − 1` characters (they could begin a stop string) and by any
 * trailing U+FFFD (a character whose bytes have not all arrived), so what was streamed is always
 * a prefix of the final text, and streamed deltas join to exactly the unstreamed answer.
 *
 * @module
 */
import type { Completion } from "../policy/types.ts";
import { findStop } from "../policy/stop_strings.ts";

export { findStop };

/**
 * Follows one choice's tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChoiceText } from "./choice_text.ts";
 * const dec = (ids: number[]) => ids.map((i) => String.fromCharCode(i)).join("");
 * const t = new ChoiceText(["\n\n"], dec);
 * for (const ch of "ab\n") t.push(ch.charCodeAt(0));
 * assert.equal(t.takeDelta(), "ab"); // the "\n" may start a stop string
 * assert.equal(t.push(10), true); // "\n\n" completed, the row ends
 * assert.deepEqual(t.finish({ text: "ab\n\n", finishReason: "length" } as never), {
 *   text: "ab",
 *   finishReason: "stop",
 *   delta: "",
 * });
 * ```
 */
export class ChoiceText {
  readonly #stop: readonly string[];
  readonly #decode?: (ids: number[]) => string;
  readonly #hold: number;
  readonly #ids: number[] = [];
  #text = "";
  #sent = 0;
  #cut = -1;

  /**
   * @param stop stop strings (may be empty).
   * @param decode text of ids, as the completion's `text` will be; without it the text is only
   *   known at the end.
   */
  constructor(stop: readonly string[], decode?: (ids: number[]) => string) {
    this.#stop = stop;
    this.#decode = decode;
    this.#hold = Math.max(0, ...stop.map((s) => s.length - 1));
  }

  /** Whether a stop string ended the choice. */
  get stopped(): boolean {
    return this.#cut >= 0;
  }

  /**
   * Add the next generated token.
   *
   * @param id the token id.
   * @returns true when the choice must end here (a stop string is complete).
   */
  push(id: number): boolean {
    if (this.#cut >= 0 || this.#decode === undefined) return this.#cut >= 0;
    this.#ids.push(id);
    this.#text = this.#decode(this.#ids);
    if (this.#stop.length > 0) {
      const at = findStop(this.#text, this.#stop);
      if (at >= 0) this.#cut = at;
    }
    return this.#cut >= 0;
  }

  /** The text that became safe to send since the last call (possibly empty). */
  takeDelta(): string {
    let end: number;
    if (this.#cut >= 0) end = this.#cut;
    else {
      end = this.#text.length - this.#hold;
      while (end > 0 && this.#text.charCodeAt(end - 1) === 0xfffd) end--;
    }
    if (end <= this.#sent) return "";
    const d = this.#text.slice(this.#sent, end);
    this.#sent = end;
    return d;
  }

  /**
   * The choice's final text and finish reason once the policy answered, and the rest of the text
   * not yet sent. Stop strings are applied to the completion's text too (for policies that do not
   * report tokens as they go).
   *
   * @param c the completion.
   * @returns final text, finish reason and the unsent remainder.
   */
  finish(c: Completion): { text: string; finishReason: "stop" | "length"; delta: string } {
    let text = c.text;
    let finishReason: "stop" | "length" = c.finishReason === "length" ? "length" : "stop";
    const at = this.#cut >= 0 ? this.#cut : findStop(text, this.#stop);
    if (at >= 0) {
      text = (this.#cut >= 0 ? this.#text : text).slice(0, at);
      finishReason = "stop";
    }
    const delta = text.slice(Math.min(this.#sent, text.length));
    this.#sent = text.length;
    return { text, finishReason, delta };
  }
}
