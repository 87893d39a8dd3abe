/**
 * The reader layer: PC/SC handle discipline behind one small backend contract.
 *
 * Invariant: **nothing here keeps a PC/SC context or card handle after an operation returns.**
 * Every operation ({@linkcode withCard}, {@linkcode PcscBackend.withCard}) establishes a fresh
 * context, connects with `SCARD_SHARE_SHARED` (never exclusive), runs inside one
 * `SCardBeginTransaction` … `SCardEndTransaction(SCARD_LEAVE_CARD)`, and releases everything.
 * Card-gone and service-gone failures are retried once on a fresh context, except after a PIN
 * was sent or the operation committed itself (see `with_card.ts`). The only long-lived context
 * is the {@linkcode ReaderMonitor}'s, which only waits for events.
 *
 * Importing this module loads no native library; the first PC/SC call does (`--allow-ffi`).
 *
 * @module
 */

export type { CardChannel } from "./channel.ts";
export {
  type CardAttempt,
  type CardOperation,
  type CardOperationOptions,
  type CardReaderBackend,
  OperationAttempt,
  type ReaderEvent,
  type ReaderState,
  type ReaderWatch,
  type WatchOptions,
} from "./backend.ts";
export {
  check,
  findPcscError,
  isCardGone,
  isRetryable,
  isServiceGone,
  PcscError,
  type PcscErrorOptions,
} from "./errors.ts";
export {
  type ConnectOptions,
  PcscContext,
  type PcscOptions,
  type ReaderStateQuery,
  type ReaderStateResult,
} from "./context.ts";
export {
  type CardStatus,
  describeProtocol,
  type Disposition,
  PcscCard,
  PcscTransaction,
} from "./card.ts";
export { presentsReferenceData, withCard, type WithCardOptions } from "./with_card.ts";
export { CardBusyError, HandlePool } from "./handle_pool.ts";
export {
  cardEvents,
  ReaderMonitor,
  type ReaderMonitorOptions,
  type ReaderSnapshot,
} from "./monitor.ts";
export { PcscBackend, type PcscBackendOptions } from "./pcsc_backend.ts";
export { matchReaders } from "./reader_match.ts";
export { type InProcessCard, VIRTUAL_READER_NAME, VirtualBackend } from "./virtual_backend.ts";
export { PcscLibraryError } from "../../ffi/mod.ts";
