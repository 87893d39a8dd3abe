import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { TestClient } from "../../tests/support/assuan_client.ts";
import { AssuanServer } from "../assuan/mod.ts";
import {
  cardAtrStatus,
  keyInfoStatus,
  keyInfoText,
  lockWaitProgress,
  paddingStatus,
  readerStatus,
  sendStatus,
  serialNoStatus,
  type StatusLine,
} from "./status.ts";

Deno.test("status builders give stock's keywords and texts", () => {
  const k = { keygrip: "AB".repeat(20), serialNo: "D276", keyRef: "OPENPGP.1", usage: "sc" };
  assertEquals(keyInfoText(k), `${"AB".repeat(20)} T D276 OPENPGP.1 sc`);
  assertEquals(
    keyInfoText({ ...k, serialNo: undefined, keyRef: undefined, usage: undefined }),
    `${"AB".repeat(20)} T - - -`,
  );
  assertEquals(serialNoStatus("D276", ["openpgp"]), {
    keyword: "SERIALNO",
    args: ["D276 openpgp"],
    raw: true,
  });
  assertEquals(paddingStatus(0).args, ["0"]);
  assertEquals(lockWaitProgress().args, ["scd_locked . 0 0"]);
});

Deno.test("sendStatus() sends raw lines as is and escapes the others", async () => {
  const lines: StatusLine[] = [
    readerStatus("Virtual PCD 00 00"),
    cardAtrStatus("3B 8A"),
    keyInfoStatus({ keygrip: "G", serialNo: "S", keyRef: "R", usage: "e" }),
  ];
  const client = new TestClient();
  const server = new AssuanServer<null>({
    commands: [{
      name: "X",
      run: async () => {
        for (const l of lines) await sendStatus(conn!, l);
      },
    }],
    createSession: (c) => {
      conn = c;
      return { context: () => null };
    },
  });
  let conn: Parameters<typeof sendStatus>[0] | undefined;
  const done = server.serve(client.server);
  await client.line();
  assertEquals(await client.transact("X"), [
    "S READER Virtual PCD 00 00",
    "S CARD-ATR 3B+8A",
    "S KEYINFO G T S R e",
    "OK",
  ]);
  await client.close();
  await done;
});
