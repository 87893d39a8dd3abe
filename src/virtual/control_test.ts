import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  type ControlContext,
  type ControlledCard,
  type InsStats,
  runControlCommand,
} from "./control.ts";
import { type LatencyModel, NITROKEY3 } from "./latency.ts";

class FakeCard implements ControlledCard {
  readonly serial = 0x1234abcd;
  readonly calls: unknown[] = [];
  #log: Record<string, InsStats> = { "2A": { count: 2, bytesIn: 70, bytesOut: 260 } };
  reset(): void {
    this.calls.push("reset");
  }
  touch(): void {
    this.calls.push("touch");
  }
  setLatency(l: { apduMs?: number; psoMs?: number; model?: LatencyModel }): void {
    this.calls.push({ latency: l });
  }
  injectStatus(sw: number, count: number): void {
    this.calls.push({ inject: sw, count });
  }
  readonly apduLog = {
    total: () => Object.values(this.#log).reduce((n, s) => n + s.count, 0),
    byIns: () => this.#log,
    reset: () => {
      this.#log = {};
    },
  };
}

function context(): ControlContext & { card: FakeCard; events: string[] } {
  const events: string[] = [];
  const link = {
    connected: true,
    remove() {
      events.push("remove");
      link.connected = false;
    },
    insert() {
      events.push("insert");
      link.connected = true;
    },
  };
  return { card: new FakeCard(), link, events, quit: () => events.push("quit") };
}

Deno.test("runControlCommand() reports status with the serial as 8 hex digits", () => {
  const ctx = context();
  assertEquals(runControlCommand('{"cmd":"status"}', ctx), {
    ok: true,
    connected: true,
    serial: "1234ABCD",
  });
});

Deno.test("runControlCommand() removes and inserts the card through the link", () => {
  const ctx = context();
  assertEquals(runControlCommand('{"cmd":"remove"}', ctx), { ok: true });
  assertEquals(runControlCommand('{"cmd":"status"}', ctx), {
    ok: true,
    connected: false,
    serial: "1234ABCD",
  });
  assertEquals(runControlCommand('{"cmd":"insert"}', ctx), { ok: true });
  assertEquals(ctx.events, ["remove", "insert"]);
});

Deno.test("runControlCommand() forwards reset, touch, latency and inject to the card", () => {
  const ctx = context();
  for (
    const line of [
      '{"cmd":"reset"}',
      '{"cmd":"touch"}',
      '{"cmd":"latency","apduMs":5,"psoMs":40}',
      '{"cmd":"latency","psoMs":0}',
      '{"cmd":"inject","sw":"6982","count":2}',
      '{"cmd":"inject","sw":"6a88"}',
    ]
  ) assertEquals(runControlCommand(line, ctx), { ok: true }, line);
  assertEquals(ctx.card.calls, [
    "reset",
    "touch",
    { latency: { apduMs: 5, psoMs: 40 } },
    { latency: { psoMs: 0 } },
    { inject: 0x6982, count: 2 },
    { inject: 0x6a88, count: 1 },
  ]);
});

Deno.test("runControlCommand() sets a latency model by name or INS=MS list", () => {
  const ctx = context();
  assertEquals(runControlCommand('{"cmd":"latency","model":"nitrokey3"}', ctx), {
    ok: true,
    model: "nitrokey3",
  });
  assertEquals(runControlCommand('{"cmd":"latency","model":"20=800,default=10"}', ctx), {
    ok: true,
    model: "20=800,default=10",
  });
  assertEquals(ctx.card.calls, [{ latency: { model: NITROKEY3 } }, {
    latency: {
      model: { name: "20=800,default=10", defaultMs: 10, rules: [{ ins: 0x20, ms: 800 }] },
    },
  }]);
});

Deno.test("runControlCommand() returns and resets the APDU log", () => {
  const ctx = context();
  assertEquals(runControlCommand('{"cmd":"log"}', ctx), {
    ok: true,
    total: 2,
    byIns: { "2A": { count: 2, bytesIn: 70, bytesOut: 260 } },
    verifies: [],
    resets: 0,
  });
  assertEquals(runControlCommand('{"cmd":"log-reset"}', ctx), { ok: true });
  assertEquals(runControlCommand('{"cmd":"log"}', ctx), {
    ok: true,
    total: 0,
    byIns: {},
    verifies: [],
    resets: 0,
  });
});

Deno.test("runControlCommand() answers errors as ok:false without acting", () => {
  const ctx = context();
  for (
    const line of [
      "not json",
      "[1]",
      "{}",
      '{"cmd":"explode"}',
      '{"cmd":"toString"}',
      '{"cmd":"inject","sw":"69"}',
      '{"cmd":"inject","sw":"6982","count":-1}',
      '{"cmd":"latency","apduMs":"fast"}',
      '{"cmd":"latency","model":"slow"}',
      '{"cmd":"latency","model":7}',
    ]
  ) {
    const reply = runControlCommand(line, ctx);
    assert(!reply.ok && /^Cannot /.test(reply.error), line);
  }
  assertEquals(ctx.card.calls, []);
  assertEquals(ctx.events, []);
});

Deno.test("runControlCommand() acknowledges quit (the server calls quit() after replying)", () => {
  const ctx = context();
  assertEquals(runControlCommand('{"cmd":"quit"}', ctx), { ok: true });
  assertEquals(ctx.events, []);
});
