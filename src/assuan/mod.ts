/**
 * Generic Assuan server library (libassuan's server side, in TypeScript). It knows no cards:
 * `src/scd` supplies the command table through {@linkcode AssuanServer}. Wire details follow
 * libassuan 2.5 and stock scdaemon byte for byte (see each file's header for the source).
 * @module
 */

export { assuanInputCommand, assuanOutputCommand } from "./builtins.ts";
export type { Command, Session, SessionEnd, SessionEndReason } from "./command.ts";
export type { Connection, InquireOptions } from "./connection.ts";
export { escapeData, escapeStatus, percentPlusUnescape, unescapeData } from "./escape.ts";
export { AssuanSyntaxError, type ClientLine, commandArgBytes, parseLine } from "./parse.ts";
export { AssuanServer, type Duplex, type ServeOptions, type ServerOptions } from "./server.ts";
export { listenUnix, type UnixListener, type UnixListenerOptions } from "./socket.ts";
export { MemoryTrace, TraceFile, type TraceSink } from "./trace.ts";
export { formatErrLine } from "./writer.ts";
