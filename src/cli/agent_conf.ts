/**
 * The text edits of `scd-ts install` / `uninstall` on gpg-agent.conf, as pure functions so
 * that "install then uninstall gives the same bytes" is checked on every shape of file. Our
 * line comes after a marker comment saying how we changed the file; a `scdaemon-program` line
 * that was there is commented out with a prefix and restored by uninstall. Nothing else is
 * touched. gpg-agent reads comments only at the start of a line (gnupg's option files).
 * @module
 */

const MARK = "# scd-ts install: the next line is scd-ts's; 'scd-ts uninstall' removes both";
const MARK_NEWLINE = `${MARK} (and the newline before this line)`;
const MARK_CREATED = `${MARK} (and this file)`;
const DISABLED = "#scd-ts-disabled# ";

/** What {@linkcode withoutScdTs} found. */
export interface Removed {
  /** The file as it was before install; null: there was no file. */
  text: string | null;
  /** Whether an install was found at all. */
  installed: boolean;
}

/** Undo {@linkcode withScdTs}: the file as it was before the install. */
export function withoutScdTs(text: string | null): Removed {
  if (text === null) return { text: null, installed: false };
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith(MARK));
  if (at < 0) return { text, installed: false };
  const marker = lines[at]!;
  lines.splice(at, 2);
  let out = lines.join("\n");
  if (marker === MARK_NEWLINE) {
    // the newline we added ended the line before the marker: now the last line of `before`
    const cut = lines.slice(0, at).join("\n").length;
    out = out.slice(0, cut) + out.slice(cut + 1);
  }
  out = out.split("\n").map((l) => l.startsWith(DISABLED) ? l.slice(DISABLED.length) : l).join(
    "\n",
  );
  if (marker === MARK_CREATED && out === "") return { text: null, installed: true };
  return { text: out, installed: true };
}

/** The file with gpg-agent pointed at `program` (idempotent: an earlier install is replaced). */
export function withScdTs(text: string | null, program: string): string {
  // gpg-agent reads one option per line: a line break in the path would add options
  if (/[\r\n\0]/.test(program)) {
    throw new RangeError(`Cannot use ${JSON.stringify(program)} as scdaemon-program: line break`);
  }
  const base = withoutScdTs(text).text;
  const line = `scdaemon-program ${program}`;
  if (base === null) return `${MARK_CREATED}\n${line}\n`;
  const kept = base.split("\n")
    .map((l) => /^\s*scdaemon-program(\s|$)/.test(l) ? DISABLED + l : l).join("\n");
  if (kept === "" || kept.endsWith("\n")) return `${kept}${MARK}\n${line}\n`;
  return `${kept}\n${MARK_NEWLINE}\n${line}\n`;
}

/** `text` as one POSIX sh word: single quotes, each `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * A wrapper script for gpg-agent's `scdaemon-program` (which execs a path with no arguments of
 * ours): `command` with gpg-agent's arguments. Every word is quoted, so a space, `'` or `$` in
 * a path stays a path. `lines` go before the exec (the demo pins its settings there).
 */
export function wrapperScript(
  command: readonly string[],
  options: { comment?: string; lines?: readonly string[] } = {},
): string {
  return [
    "#!/bin/sh",
    ...(options.comment === undefined ? [] : [`# ${options.comment}`]),
    ...(options.lines ?? []),
    `exec ${command.map(shellQuote).join(" ")} "$@"`,
    "",
  ].join("\n");
}
