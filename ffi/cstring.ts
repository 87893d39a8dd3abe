/**
 * C strings as PC/SC passes them: NUL-terminated UTF-8 (reader names are ASCII in practice) and
 * "multi-strings", a run of NUL-terminated strings ended by an empty one
 * (`"A\0B\0\0"`), as `SCardListReaders` and `SCardStatus` return them.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Encodes a string as NUL-terminated UTF-8; rejects strings that contain NUL. */
export function encodeCString(text: string): Uint8Array {
  if (text.includes("\0")) {
    throw new TypeError(`Cannot encode C string: "${text.replaceAll("\0", "\\0")}" contains NUL`);
  }
  const body = encoder.encode(text);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

/** Decodes the string up to the first NUL (or the whole buffer when there is none). */
export function decodeCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Decodes a multi-string into its parts, stopping at the first empty string or the end of the
 * buffer. `"A\0B\0\0"` → `["A", "B"]`; `"\0"` and `""` → `[]`.
 */
export function decodeMultiString(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    if (end === start) break;
    out.push(decoder.decode(bytes.subarray(start, end)));
    start = end + 1;
  }
  return out;
}

/** Encodes strings as a multi-string (each NUL-terminated, plus a final NUL). */
export function encodeMultiString(parts: readonly string[]): Uint8Array {
  const encoded = parts.map((p) => {
    if (p === "") throw new TypeError("Cannot encode multi-string: empty part");
    return encodeCString(p);
  });
  const out = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0) + 1);
  let at = 0;
  for (const e of encoded) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}
