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
import { AcceptLoop, bindPrivateSocket } from "../util/unix_socket.ts";
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
  const listener = await bindPrivateSocket(path, "agent");
  return new Listener(agent, listener, path);
}

class Listener implements AgentListener {
  readonly path: string;
  readonly finished: Promise<void>;
  #loop: AcceptLoop;

  constructor(agent: SshAgent, listener: Deno.Listener, path: string) {
    this.path = path;
    this.#loop = new AcceptLoop(
      listener,
      (conn) => serveConnection(conn, agent.connection()),
      (e) => log.error("Cannot accept on {path}: {error}", { path, error: e }),
    );
    this.finished = this.#loop.finished;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#loop.stop()) {
      for (const conn of this.#loop.connections) {
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
