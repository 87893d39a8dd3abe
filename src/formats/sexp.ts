/**
 * S-expressions as libgcrypt and gpg-agent exchange them.
 *
 * Canonical form (what READKEY sends and KEYDATA carries): `(` `<decimal length>:<bytes>`…
 * `)`, no white space, no display hints. The advanced form is libgcrypt's human-readable
 * printer (`gcry_sexp_sprint` with `GCRYSEXP_FMT_ADVANCED`, libgcrypt src/sexp.c), used by
 * `READKEY --advanced`.
 * @module
 */

import { concat, utf8 } from "../util/bytes.ts";

/** An atom (bytes) or a list. */
export type Sexp = Uint8Array | Sexp[];

/** Malformed canonical S-expression. */
export class SexpSyntaxError extends SyntaxError {
  override name = "SexpSyntaxError";
}

/** Build a list; strings become atoms (UTF-8). */
export function sexpList(...items: (string | Uint8Array | Sexp[])[]): Sexp[] {
  return items.map((i) => typeof i === "string" ? utf8(i) : i);
}

/** Canonical encoding of one S-expression. */
export function encodeSexp(node: Sexp): Uint8Array {
  const parts: Uint8Array[] = [];
  const walk = (n: Sexp) => {
    if (n instanceof Uint8Array) {
      parts.push(utf8(`${n.length}:`), n);
      return;
    }
    parts.push(OPEN);
    for (const c of n) walk(c);
    parts.push(CLOSE);
  };
  walk(node);
  return concat(...parts);
}

const OPEN = Uint8Array.of(0x28);
const CLOSE = Uint8Array.of(0x29);

/**
 * Length of the canonical S-expression at the start of `bytes` (like
 * `gcry_sexp_canon_len`); throws {@link SexpSyntaxError} if it is not well formed.
 */
export function canonicalSexpLength(bytes: Uint8Array): number {
  return readNode(bytes, 0).next;
}

/** Parse exactly one canonical S-expression filling `bytes`. Atoms are copies. */
export function parseSexp(bytes: Uint8Array): Sexp {
  const { node, next } = readNode(bytes, 0);
  if (next !== bytes.length) {
    throw new SexpSyntaxError(`Cannot parse S-expression: ${bytes.length - next} trailing bytes`);
  }
  return node;
}

function readNode(bytes: Uint8Array, start: number): { node: Sexp; next: number } {
  const stack: Sexp[][] = [];
  let i = start;
  let result: Sexp | undefined;
  while (result === undefined) {
    if (i >= bytes.length) {
      throw new SexpSyntaxError(`Cannot parse S-expression: truncated at offset ${i}`);
    }
    const c = bytes[i]!;
    if (c === 0x28) {
      stack.push([]);
      i++;
    } else if (c === 0x29) {
      const done = stack.pop();
      if (!done) {
        throw new SexpSyntaxError(`Cannot parse S-expression: unbalanced ")" at offset ${i}`);
      }
      i++;
      if (stack.length === 0) result = done;
      else stack[stack.length - 1]!.push(done);
    } else if (c >= 0x30 && c <= 0x39) {
      if (c === 0x30 && bytes[i + 1] !== 0x3a) {
        throw new SexpSyntaxError(
          `Cannot parse S-expression: length with leading zero at offset ${i}`,
        );
      }
      let len = 0;
      while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
        len = len * 10 + bytes[i]! - 0x30;
        if (len > 0x7fffffff) {
          throw new SexpSyntaxError(`Cannot parse S-expression: length too large at offset ${i}`);
        }
        i++;
      }
      if (bytes[i] !== 0x3a) {
        throw new SexpSyntaxError(`Cannot parse S-expression: expected ":" at offset ${i}`);
      }
      i++;
      if (i + len > bytes.length) {
        throw new SexpSyntaxError(
          `Cannot parse S-expression: atom of ${len} bytes truncated at offset ${i}`,
        );
      }
      const atom = bytes.slice(i, i + len);
      i += len;
      if (stack.length === 0) result = atom;
      else stack[stack.length - 1]!.push(atom);
    } else {
      throw new SexpSyntaxError(
        `Cannot parse S-expression: unexpected byte 0x${
          c.toString(16).padStart(2, "0")
        } at offset ${i}`,
      );
    }
  }
  return { node: result, next: i };
}

/** The atom as text (latin-1 safe for tokens), or undefined for lists. */
export function atomText(node: Sexp | undefined): string | undefined {
  if (!(node instanceof Uint8Array)) return undefined;
  return String.fromCharCode(...node);
}

/** The first element of a list as text, if it is an atom. */
export function listToken(node: Sexp | undefined): string | undefined {
  return Array.isArray(node) ? atomText(node[0]) : undefined;
}

/**
 * Find the first list (depth-first, the list itself included) whose first element is the
 * atom `token` (like `gcry_sexp_find_token`).
 */
export function findSexp(node: Sexp, token: string): Sexp[] | undefined {
  if (!Array.isArray(node)) return undefined;
  if (atomText(node[0]) === token) return node;
  for (const child of node) {
    const hit = findSexp(child, token);
    if (hit) return hit;
  }
  return undefined;
}

/** The atom following `token` in the first `(token value)` list under `node`. */
export function findAtom(node: Sexp, token: string): Uint8Array | undefined {
  const l = findSexp(node, token);
  const v = l?.[1];
  return v instanceof Uint8Array ? v : undefined;
}

const TOKEN_SPECIALS = "-./_:*+=";

function isTokenByte(b: number): boolean {
  // libgcrypt's strchr() test also matches the NUL byte; we keep that quirk.
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) ||
    b === 0 || TOKEN_SPECIALS.includes(String.fromCharCode(b));
}

const STRING_ESCAPES: Record<number, string> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0b: "\\v",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x27: "\\'",
  0x5c: "\\\\",
};

/** 0 binary (hex), 1 quoted string, 2 bare token (libgcrypt `suitable_encoding`). */
function atomEncoding(a: Uint8Array): 0 | 1 | 2 {
  if (a.length === 0) return 1;
  if (a[0]! & 0x80 || a[0] === 0) return 0;
  let token = true;
  for (const b of a) {
    const ctl = b < 0x20 || (b >= 0x7f && b <= 0xa0);
    if (ctl && b !== 0 && STRING_ESCAPES[b] === undefined) return 0;
    if (token && !isTokenByte(b)) token = false;
  }
  return token && !(a[0]! >= 0x30 && a[0]! <= 0x39) ? 2 : 1;
}

function printAtom(a: Uint8Array, out: number[]): void {
  const push = (s: string) => {
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  };
  switch (atomEncoding(a)) {
    case 2:
      out.push(...a);
      return;
    case 1:
      out.push(0x22);
      for (const b of a) {
        const esc = STRING_ESCAPES[b];
        if (esc) push(esc);
        else if (b < 0x20 || (b >= 0x7f && b <= 0xa0)) {
          push(`\\x${b.toString(16).padStart(2, "0")}`);
        } else out.push(b);
      }
      out.push(0x22);
      return;
    default:
      push("#");
      for (const b of a) push(b.toString(16).toUpperCase().padStart(2, "0"));
      push("#");
  }
}

/**
 * libgcrypt's advanced (human-readable) form, without the trailing NUL that
 * `gcry_sexp_sprint` adds, e.g. `(public-key \n (ecc \n  (curve Ed25519)\n …`.
 */
export function formatSexpAdvanced(node: Sexp): Uint8Array {
  const out: number[] = [];
  let indent = 0;
  const newline = (n: number) => {
    out.push(0x0a);
    for (let i = 0; i < n; i++) out.push(0x20);
  };
  // Mirrors the printer's token stream: a list opens on a fresh indented line, an atom is
  // followed by a space unless a ")" comes next, a ")" is followed by a newline unless
  // another "(" or the end comes next.
  const walk = (n: Sexp, followedBy: "open" | "close" | "atom" | "end") => {
    if (n instanceof Uint8Array) {
      printAtom(n, out);
      if (followedBy !== "close") out.push(0x20);
      return;
    }
    if (indent) newline(indent);
    out.push(0x28);
    indent++;
    n.forEach((c, i) => {
      const next = n[i + 1];
      walk(c, next === undefined ? "close" : next instanceof Uint8Array ? "atom" : "open");
    });
    out.push(0x29);
    indent--;
    if (followedBy !== "open" && followedBy !== "end") newline(indent);
  };
  walk(node, "end");
  out.push(0x0a);
  return Uint8Array.from(out);
}
