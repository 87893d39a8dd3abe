/**
 * The in-process ssh-agent bed of tests/integration/ssh_agent*_test.ts: the agent over the
 * daemon's own registry, PIN cache and OpenPGP application on the virtual card, on a real
 * Unix socket, with a pinentry stand-in.
 * @module
 */
import type { PinProvider, PinRequest } from "../../src/app/mod.ts";
import { sshString } from "../../src/formats/mod.ts";
import type { PinCache } from "../../src/scd/mod.ts";
import { listenAgent, type SshAgent } from "../../src/ssh/mod.ts";
import { agentOver } from "../support/ssh_agent.ts";

export { identities, sign } from "../support/ssh_agent.ts";
import { concat, uintBE, utf8 } from "../../src/util/bytes.ts";
import { connect, genkey } from "./_scd_client.ts";
import { ScdFixture } from "./_scd_fixture.ts";
/** A pinentry stand-in: answers from a list, records what it was asked. */
export class Asked implements PinProvider {
  readonly requests: PinRequest[] = [];
  constructor(public answers: string[] = []) {}
  get(request: PinRequest): Promise<Uint8Array> {
    this.requests.push(request);
    const pin = this.answers.shift();
    return pin === undefined ? Promise.reject(new Error("cancelled")) : Promise.resolve(utf8(pin));
  }
}

export interface Bed {
  f: ScdFixture;
  agent: SshAgent;
  asked: Asked;
  cache: PinCache;
  /** One request body → reply body over a fresh socket connection. */
  request(body: Uint8Array): Promise<Uint8Array>;
  /** Raw bytes in, everything the agent wrote back until it closed or went quiet. */
  raw(bytes: Uint8Array, quietMs?: number): Promise<Uint8Array>;
  /** A connection kept open: request bodies in order, reply bodies out. */
  session(): Promise<AgentSession>;
}

export interface AgentSession extends Disposable {
  request(body: Uint8Array): Promise<Uint8Array>;
}

export async function withAgent(
  fn: (b: Bed) => Promise<void>,
  algo = "rsa2048",
  options: Parameters<typeof agentOver>[2] = {},
): Promise<void> {
  const f = await ScdFixture.open();
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-ssh-" });
  const asked = new Asked();
  const { agent, cache } = agentOver(f.cards, asked, options);
  const listener = await listenAgent(agent, `${dir}/agent.sock`);
  try {
    const s = await connect(f);
    if (algo !== "none") await genkey(s, 3, algo);
    await s.close();
    const raw = async (bytes: Uint8Array, quietMs = 300) => {
      const conn = await Deno.connect({ transport: "unix", path: listener.path });
      await conn.write(bytes);
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(65536);
      for (;;) {
        const timer = new Promise<null>((r) => setTimeout(() => r(null), quietMs));
        const n = await Promise.race([conn.read(buf), timer]);
        if (n === null || n === undefined) break;
        chunks.push(buf.slice(0, n));
      }
      conn.close();
      return concat(...chunks);
    };
    const session = async (): Promise<AgentSession> => {
      const conn = await Deno.connect({ transport: "unix", path: listener.path });
      const read = async (n: number) => {
        const out = new Uint8Array(n);
        for (let got = 0; got < n;) got += (await conn.read(out.subarray(got)))!;
        return out;
      };
      return {
        async request(body: Uint8Array) {
          await conn.write(concat(uintBE(body.length, 4), body));
          const head = await read(4);
          return await read(new DataView(head.buffer).getUint32(0));
        },
        [Symbol.dispose]: () => conn.close(),
      };
    };
    const request = async (body: Uint8Array) => {
      using s = await session();
      return await s.request(body);
    };
    await fn({ f, agent, asked, cache, request, raw, session });
  } finally {
    agent.close();
    await listener[Symbol.asyncDispose]();
    await f.close();
    await Deno.remove(dir, { recursive: true });
  }
}

export const FAILURE = Uint8Array.of(5);
export const SUCCESS = Uint8Array.of(6);

export function addCard(id: string, pin: string, lifetime?: number): Uint8Array {
  const c = lifetime === undefined ? [] : [Uint8Array.of(1), uintBE(lifetime, 4)];
  return concat(
    Uint8Array.of(lifetime === undefined ? 20 : 26),
    sshString(id),
    sshString(pin),
    ...c,
  );
}
