/**
 * A V8 heap snapshot of a Deno process started with `--inspect=127.0.0.1:PORT`, through the
 * Chrome DevTools protocol (HeapProfiler.takeHeapSnapshot, after a garbage collection). The
 * snapshot holds every live string; typed-array contents are not in it.
 *
 * @module
 */

/** Takes a heap snapshot of the process inspecting on `port`; returns its JSON text. */
export async function heapSnapshot(port: number, timeoutMs = 60000): Promise<string> {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`Cannot find an inspector target on port ${port}`);
  const ws = new WebSocket(url);
  const chunks: string[] = [];
  const waiting = new Map<number, () => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data));
    if (m.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(m.params.chunk);
    else if (typeof m.id === "number") waiting.get(m.id)?.();
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`Cannot connect to the inspector at ${url}`));
  });
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<void>((resolve, reject) => {
      const n = ++id;
      const timer = setTimeout(() => reject(new Error(`No answer to ${method}`)), timeoutMs);
      waiting.set(n, () => (clearTimeout(timer), resolve()));
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  try {
    await call("HeapProfiler.enable");
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  } finally {
    ws.close();
  }
  return chunks.join("");
}
