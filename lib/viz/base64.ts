/**
 * Base64 encoding of bytes (Jupyter wants images base64-encoded).
 *
 * @module
 */

/**
 * Encode bytes as standard base64.
 * @param bytes the bytes.
 * @returns the base64 text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBase64 } from "./base64.ts";
 * assert.deepEqual(encodeBase64(new Uint8Array([104, 105])), "aGk=");
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(s);
}
