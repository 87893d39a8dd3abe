/**
 * What the daemon's Assuan socket (src/assuan/socket.ts) and the ssh-agent's socket
 * (src/ssh/server.ts) share: binding a socket that is mode 0600 from its first moment, refusing
 * a path another live server answers on, and the accept loop that serves each connection
 * without making one client wait for another. Each caller keeps its own directory rules and
 * what it does with a connection.
 *
 * Deno binds with the umask's mode, so the socket is made in a private temporary directory
 * beside `path`, chmod'ed, and renamed into place: nobody can connect in between.
 * @module
 */

/**
 * A stale socket file at `path` is removed; a live one (something accepts a connection) is an
 * error naming `what` serves there, so a second daemon never steals a running one's clients.
 */
export async function replaceStaleSocket(path: string, what: string): Promise<void> {
  let live = false;
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
    live = true;
  } catch {
    // nobody answers: a stale file, or none
  }
  if (live) throw new Error(`Cannot listen on "${path}": another ${what} is serving it`);
  await Deno.remove(path).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/**
 * Listens on `path` (mode 0600, set before the socket has its name). `beforeBind` runs with the
 * staging directory made (its owner is the uid our files get), after which a stale socket is
 * replaced.
 */
export async function bindPrivateSocket(
  path: string,
  what: string,
  beforeBind: (staging: string) => Promise<void> = async () => {},
): Promise<Deno.Listener> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || ".";
  const staging = await Deno.makeTempDir({ dir, prefix: ".scd-ts-" });
  try {
    await beforeBind(staging);
    await replaceStaleSocket(path, what);
    const listener = Deno.listen({ transport: "unix", path: `${staging}/S` });
    try {
      await Deno.chmod(`${staging}/S`, 0o600);
      await Deno.rename(`${staging}/S`, path);
    } catch (e) {
      listener.close();
      throw e;
    }
    return listener;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Accepts on a listener until it is closed, serving each connection (numbered from 1) with its
 * own task: clients never wait on each other (`serve` reports its own failures). `finished`
 * resolves once accepting stopped and
 * every connection's task ended.
 */
export class AcceptLoop {
  readonly finished: Promise<void>;
  #listener: Deno.Listener;
  #served = new Map<Deno.Conn, Promise<void>>();
  #stopped = false;

  constructor(
    listener: Deno.Listener,
    serve: (conn: Deno.Conn, id: number) => Promise<void>,
    onAcceptError: (error: unknown) => void,
  ) {
    this.#listener = listener;
    this.finished = this.#run(serve, onAcceptError);
  }

  /** Connections being served. */
  get active(): number {
    return this.#served.size;
  }

  /** The connections being served (to close them at shutdown). */
  get connections(): Iterable<Deno.Conn> {
    return this.#served.keys();
  }

  /** Stops accepting; false when it had stopped already. */
  stop(): boolean {
    if (this.#stopped) return false;
    this.#stopped = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    return true;
  }

  async #run(
    serve: (conn: Deno.Conn, id: number) => Promise<void>,
    onAcceptError: (error: unknown) => void,
  ): Promise<void> {
    for (let id = 1;; id++) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (!this.#stopped) onAcceptError(e);
        break;
      }
      // serve reports its own failures; one connection's never ends the loop
      const task = serve(conn, id).catch(() => {}).finally(() => this.#served.delete(conn));
      this.#served.set(conn, task);
    }
    await Promise.all([...this.#served.values()]);
  }
}
