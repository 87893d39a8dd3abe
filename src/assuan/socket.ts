/**
 * The Unix socket listener of the Assuan server (`S.scdaemon`). The stdin/stdout pipe
 * (`--server`, and the primary connection of `--multi-server`) needs no transport of its own:
 * src/scd/daemon.ts serves it as a plain duplex.
 *
 * Peer identity: Deno exposes no `SO_PEERCRED`, so the peer's uid cannot be checked. Access is
 * limited by the file system instead, which Linux enforces for `connect(2)` on a socket path:
 * the socket file is mode 0600 and its directory must be the user's own (we create it 0700 and
 * warn when an existing one is open to others). To avoid a window in which the socket exists with the
 * umask's mode, it is created in a private temporary directory, chmod'ed, and then renamed
 * into place. Stock scdaemon uses `SO_PEERCRED` only to learn the peer's pid for the event
 * signal (scdaemon-protocol.md §1.6), which scd-ts can therefore do only for the pipe.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { AcceptLoop, bindPrivateSocket } from "../util/unix_socket.ts";
import type { SessionEnd } from "./command.ts";
import type { AssuanServer } from "./server.ts";
import type { TraceSink } from "./trace.ts";

const log = getLogger(["scd-ts", "assuan"]);

/** Options for {@linkcode listenUnix}. */
export interface UnixListenerOptions {
  /** A trace sink for each accepted session (numbered from 1). */
  trace?: ((session: number) => TraceSink | undefined) | undefined;
  /** Called when a session ends (e.g. to exit after KILLSCD). */
  onSessionEnd?: ((end: SessionEnd, session: number) => void) | undefined;
}

/** A listening socket; disposing it stops accepting, ends its sessions and removes the file. */
export interface UnixListener extends AsyncDisposable {
  /** The socket's path. */
  readonly path: string;
  /** Sessions of this listener still running. */
  readonly activeSessions: number;
  /** Stop accepting and remove the socket file; running sessions go on. Idempotent. */
  close(): Promise<void>;
  /** Resolves when accepting has stopped and every session has ended. */
  readonly finished: Promise<void>;
  /** Abort the running sessions (after their current command). */
  abortSessions(reason?: unknown): void;
}

/**
 * Make `dir` (one level) with mode 0700, or check that an existing one is ours (warn if open to
 * others). `ownUid` is the uid of a file we created (Deno.uid() would need --allow-sys).
 */
async function checkSocketDir(dir: string, ownUid: number | null): Promise<void> {
  const info = await Deno.stat(dir);
  if (!info.isDirectory) throw new Error(`Cannot use socket directory "${dir}": not a directory`);
  if (ownUid !== null && info.uid !== ownUid) {
    throw new Error(
      `Cannot use socket directory "${dir}": owned by uid ${info.uid}, not ${ownUid}`,
    );
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    // The socket itself is 0600, so this is not fatal (gpg only warns about such a homedir).
    log.warning("Socket directory {dir} has mode {mode}; 700 is recommended", {
      dir,
      mode: (info.mode & 0o777).toString(8),
    });
  }
}

/** Listen on a Unix socket at `path` and serve every accepted connection with `server`. */
export async function listenUnix<Ctx>(
  server: AssuanServer<Ctx>,
  path: string,
  options: UnixListenerOptions = {},
): Promise<UnixListener> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || ".";
  try {
    await Deno.mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  const listener = await bindPrivateSocket(
    path,
    "server",
    async (staging) => await checkSocketDir(dir, (await Deno.stat(staging)).uid),
  );
  return new SocketListener(server, listener, path, options);
}

class SocketListener<Ctx> implements UnixListener {
  readonly path: string;
  readonly finished: Promise<void>;
  #loop: AcceptLoop;
  #abort = new AbortController();

  constructor(
    server: AssuanServer<Ctx>,
    listener: Deno.Listener,
    path: string,
    options: UnixListenerOptions,
  ) {
    this.path = path;
    this.#loop = new AcceptLoop(
      listener,
      (conn, id) => this.#serve(server, conn, id, options),
      (e) => log.error("Cannot accept on {path}: {error}", { path, error: e }),
    );
    this.finished = this.#loop.finished;
  }

  get activeSessions(): number {
    return this.#loop.active;
  }

  abortSessions(reason?: unknown): void {
    this.#abort.abort(reason ?? new Error("Listener shut down"));
  }

  async close(): Promise<void> {
    if (this.#loop.stop()) await Deno.remove(this.path).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
    this.abortSessions();
    await this.finished;
  }

  async #serve(
    server: AssuanServer<Ctx>,
    conn: Deno.Conn,
    id: number,
    options: UnixListenerOptions,
  ) {
    try {
      const end = await server.serve(conn, {
        signal: this.#abort.signal,
        trace: options.trace?.(id),
      });
      options.onSessionEnd?.(end, id);
    } catch (e) {
      log.error("Assuan session {id} failed: {error}", { id, error: e });
    } finally {
      try {
        conn.close();
      } catch {
        // serve() already closed both directions.
      }
    }
  }
}
