/**
 * The command table, in stock scdaemon's registration order (gpg/gnupg:scd/command.c
 * `register_commands`, 2.4.7), which is also the order of HELP's list. To add a command:
 * write `commands/<name>.ts` exporting a {@linkcode Command} and list it here.
 *
 * Every handler is wrapped so that whatever it throws reaches the client as stock's gpg-error
 * (`toGpgError` in errors.ts); handlers never catch.
 * @module
 */

import { assuanInputCommand, assuanOutputCommand } from "../assuan/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { getLog } from "../log.ts";
import { type Command, noteCardChange } from "./command.ts";
import { apdu } from "./commands/apdu.ts";
import { checkpin } from "./commands/checkpin.ts";
import { devinfo } from "./commands/devinfo.ts";
import { disconnect } from "./commands/disconnect.ts";
import { genkey } from "./commands/genkey.ts";
import { getattr } from "./commands/getattr.ts";
import { getinfo } from "./commands/getinfo.ts";
import { keyinfo } from "./commands/keyinfo.ts";
import { killscd } from "./commands/killscd.ts";
import { learn } from "./commands/learn.ts";
import { lock, unlock } from "./commands/lock.ts";
import { passwd } from "./commands/passwd.ts";
import { pkauth } from "./commands/pkauth.ts";
import { pkdecrypt } from "./commands/pkdecrypt.ts";
import { pksign } from "./commands/pksign.ts";
import { random } from "./commands/random.ts";
import { readcert } from "./commands/readcert.ts";
import { readkey } from "./commands/readkey.ts";
import { restart } from "./commands/restart.ts";
import { serialno } from "./commands/serialno.ts";
import { setattr } from "./commands/setattr.ts";
import { setdata } from "./commands/setdata.ts";
import { switchapp, switchcard } from "./commands/switchcard.ts";
import { writecert } from "./commands/writecert.ts";
import { writekey } from "./commands/writekey.ts";
import { toGpgError } from "./errors.ts";

const log = getLog("scd");

/** Wrap `command` so its errors become the GpgError stock would send (and get logged). */
export function withErrorMapping(command: Command): Command {
  return {
    name: command.name,
    ...(command.help === undefined ? {} : { help: command.help }),
    ...(command.secretArgs === undefined ? {} : { secretArgs: command.secretArgs }),
    async run(ctx, line, rawArgs) {
      try {
        await command.run(ctx, line, rawArgs);
      } catch (e) {
        noteCardChange(ctx, e);
        const mapped = toGpgError(e);
        if (!(e instanceof GpgError)) {
          const level = mapped.codeName === "GENERAL" ? "warning" : "debug";
          log[level]("{command} failed ({code}): {error}", {
            command: command.name,
            code: mapped.codeName,
            error: e,
          });
        }
        throw mapped;
      }
    },
  };
}

/** The commands in stock 2.4's order. */
export const COMMANDS: readonly Command[] = [
  serialno,
  switchcard,
  switchapp,
  learn,
  readcert,
  readkey,
  setdata,
  pksign,
  pkauth,
  pkdecrypt,
  assuanInputCommand,
  assuanOutputCommand,
  getattr,
  setattr,
  writecert,
  writekey,
  genkey,
  random,
  passwd,
  checkpin,
  lock,
  unlock,
  getinfo,
  restart,
  disconnect,
  apdu,
  killscd,
  keyinfo,
  devinfo,
].map(withErrorMapping);
