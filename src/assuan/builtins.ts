/**
 * Pieces of libassuan's standard commands (gpg/libassuan:src/assuan-handler.c `std_handler_*`)
 * that need parsing: OPTION, HELP, INPUT/OUTPUT. Texts of the errors are libassuan's; stock
 * scdaemon 2.2.40 was run to confirm them (scdaemon-protocol.md §2.1).
 * @module
 */

import { GpgError } from "../gpg_error/mod.ts";
import type { Command } from "./command.ts";

/** Names of the standard commands, in libassuan's registration order (`std_cmd_table`). */
export const BUILTIN_NAMES = ["NOP", "CANCEL", "OPTION", "BYE", "AUTH", "RESET", "END", "HELP"];

function isBlank(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

function syntax(description: string): GpgError {
  return new GpgError("ASS_SYNTAX", { description });
}

/** Parse `OPTION` arguments like `std_handler_option`. Throws GpgError ASS_SYNTAX. */
export function parseOption(args: string): { key: string; value: string } {
  let i = 0;
  while (isBlank(args[i])) i++;
  if (i === args.length) throw syntax("argument required");
  if (args[i] === "=") throw syntax("no option name given");
  const keyStart = i;
  while (i < args.length && !isBlank(args[i]) && args[i] !== "=") i++;
  let key = args.slice(keyStart, i);
  let value = "";
  if (i < args.length) {
    while (isBlank(args[i])) i++;
    if (args[i] === "=") {
      i++;
      while (isBlank(args[i])) i++;
      if (i === args.length) throw syntax("option argument expected");
    }
    value = stripTrailingBlanks(args.slice(i));
  }
  if (key.startsWith("--") && key.length > 2) key = key.slice(2);
  if (key.startsWith("-")) throw syntax("option should not begin with one dash");
  return { key, value };
}

/** libassuan strips trailing blanks only when something other than the first byte remains. */
function stripTrailingBlanks(value: string): string {
  let p = value.length - 1;
  while (p > 0 && isBlank(value[p])) p--;
  return p > 0 ? value.slice(0, p + 1) : value;
}

/** A command as HELP sees it. */
export interface HelpEntry {
  readonly name: string;
  readonly help?: string | undefined;
}

/** ASCII-only upper case, as libassuan's `my_strcasecmp` compares. */
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

/**
 * The `# …` lines for `HELP [args]` (`std_handler_help`). Throws GpgError UNKNOWN_COMMAND for
 * an unknown name and NOT_FOUND for a command without help.
 */
export function helpLines(entries: readonly HelpEntry[], args: string): string[] {
  const word = args.split(/[ \t\n]/, 1)[0] ?? "";
  if (!word) return entries.map(listLine);
  const wanted = asciiUpper(word);
  const entry = entries.find((e) => e.name === wanted);
  if (!entry) throw new GpgError("UNKNOWN_COMMAND");
  if (entry.help === undefined) throw new GpgError("NOT_FOUND");
  const lines = entry.help.split("\n");
  if (entry.help.endsWith("\n")) lines.pop();
  if (lines.length === 0) lines.push("");
  return lines.map((l) => `# ${l}`);
}

function listLine(entry: HelpEntry): string {
  const { name, help } = entry;
  const next = help?.[name.length];
  if (help?.startsWith(name) && (next === undefined || next === "\n" || next === " ")) {
    return `# ${help.split("\n", 1)[0]}`;
  }
  return `# ${name}`;
}

/** Check an INPUT/OUTPUT argument (`assuan_command_parse_fd`). */
function parseFdArgument(args: string): void {
  const prefix = args.slice(0, 2);
  const after = args[2];
  if (
    (prefix !== "FD" && prefix !== "fd") ||
    (after !== undefined && after !== "=" && !isBlank(after))
  ) {
    throw syntax("FD[=<n>] expected");
  }
  if (after === "=") {
    if (!/^[0-9]/.test(args.slice(3))) throw syntax("number required");
    // The descriptor is accepted and ignored: nothing in scd-ts reads INPUT/OUTPUT files.
    return;
  }
  throw new GpgError("NOT_IMPLEMENTED", {
    description: "server does not support sending and receiving of file descriptors",
  });
}

/** `INPUT FD[=<n>]`, registered by scdaemon without help (list it where stock does). */
export const assuanInputCommand: Command<unknown> = {
  name: "INPUT",
  run(_ctx, args) {
    parseFdArgument(args);
    return Promise.resolve();
  },
};

/** `OUTPUT FD[=<n>]`, like {@linkcode assuanInputCommand}. */
export const assuanOutputCommand: Command<unknown> = {
  name: "OUTPUT",
  run(_ctx, args) {
    parseFdArgument(args);
    return Promise.resolve();
  },
};
