/**
 * The agent's Unix socket: uint32-length frames (draft-miller-ssh-agent §3), one request at
 * a time per connection, each answered before the next is read. A frame longer than
 * OpenSSH's limit (256 KiB) or empty gets SSH_AGENT_FAILURE and the connection is closed,
 * as OpenSSH's ssh-agent does; anything malformed inside a frame gets SSH_AGENT_FAILURE
 * and the connection goes on. Clients never wait on each other.
 * @module
 */

import { getLog } from "../log.ts";
import { concat } from "../util/bytes.ts";
import type { AgentConnection, SshAgent } from "./agent.ts";
import { FAILURE, frame, MAX_MESSAGE_LENGTH } from "./protocol.ts";

const log = getLog("ssh");

/** A listening agent socket; dispose to stop and remove the file. */
export interface AgentListener extends AsyncDisposable {
  readonly path: string;
  /** Resolves when accepting stopped and every connection ended. */
  readonly finished: Promise<void>;
}

/** Options of {@linkcode listenAgent}. */
export interface ListenOptions {
  /** Make the socket's directory (and its parents) with mode 0700 when missing. */
  makeDir?: boolean;
  /** With makeDir: refuse a directory another uid owns (a planted /tmp directory). */
  uid?: number;
}

/**
 * Listen on `path` (mode 0600, set before the socket appears at its name). Refuses when a
 * live server answers there; a stale socket file is replaced.
 */
export async function listenAgent(
  agent: SshAgent,
  path: string,
  options: ListenOptions = {},
): Promise<AgentListener> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || ".";
  if (options.makeDir) {
    // our own directory (the default $XDG_RUNTIME_DIR/scd-ts): 0700 even if it existed
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const owner = (await Deno.lstat(dir)).uid;
    if (options.uid !== undefined && owner !== options.uid) {
      throw new Error(`Cannot use socket directory "${dir}": owned by uid ${owner}`);
    }
    await Deno.chmod(dir, 0o700);
  }
  await refuseLive(path);
  const staging = await Deno.makeTempDir({ dir, prefix: ".scd-ts-ssh-" });
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ transport: "unix", path: `${staging}/S` });
    await Deno.chmod(`${staging}/S`, 0o600);
    await Deno.rename(`${staging}/S`, path);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  return new Listener(agent, listener, path);
}

async function refuseLive(path: string): Promise<void> {
  let live = false;
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
    live = true;
  } catch {
    // nobody answers: a stale file (or none)
  }
  if (live) throw new Error(`Cannot listen on "${path}": another agent is serving it`);
  await Deno.remove(path).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

class Listener implements AgentListener {
  readonly path: string;
  readonly finished: Promise<void>;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #closed = false;

  constructor(agent: SshAgent, listener: Deno.Listener, path: string) {
    this.path = path;
    this.#listener = listener;
    this.finished = this.#accept(agent);
  }

  async #accept(agent: SshAgent): Promise<void> {
    const served = new Set<Promise<void>>();
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (!this.#closed) {
          log.error("Cannot accept on {path}: {error}", { path: this.path, error: e });
        }
        break;
      }
      this.#conns.add(conn);
      const p = serveConnection(conn, agent.connection()).finally(() => {
        this.#conns.delete(conn);
        served.delete(p);
      });
      served.add(p);
    }
    await Promise.all(served);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch {
        // already closed
      }
      for (const conn of this.#conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await Deno.remove(this.path).catch(() => {});
    }
    await this.finished;
  }
}

/** Serve one client until it closes (or sends a frame that ends the connection). */
export async function serveConnection(
  conn: { readable: ReadableStream<Uint8Array>; write(p: Uint8Array): Promise<number> },
  state: AgentConnection,
): Promise<void> {
  const reader = conn.readable.getReader();
  let buffer: Uint8Array = new Uint8Array(0);
  const write = async (body: Uint8Array) => {
    const bytes = frame(body);
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  };
  try {
    for (;;) {
      while (buffer.length >= 4) {
        const length = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0);
        if (length === 0 || length > MAX_MESSAGE_LENGTH) {
          log.info("Agent message of {length} bytes refused; closing the connection", { length });
          await write(FAILURE);
          return;
        }
        if (buffer.length < 4 + length) break;
        const body = buffer.slice(4, 4 + length);
        buffer.fill(0, 0, 4 + length);
        buffer = buffer.subarray(4 + length);
        await write(await state.handle(body));
        body.fill(0); // may hold a PIN or passphrase
      }
      const { value, done } = await reader.read();
      if (done) return;
      buffer = concat(buffer, value);
      value.fill(0);
    }
  } catch (e) {
    log.debug("Agent connection ended: {error}", { error: (e as Error).message });
  } finally {
    buffer.fill(0);
    reader.releaseLock();
    try {
      (conn as Partial<Deno.Conn>).close?.();
    } catch {
      // already closed
    }
  }
}
