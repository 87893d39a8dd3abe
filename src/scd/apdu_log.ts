/**
 * APDU traffic at debug level in the `["scd-ts", "apdu"]` category, for every card operation
 * of any backend. The log sink redacts PIN-bearing commands and decipher results by INS
 * (src/log.ts `redactApdu`/`redactResponse`), so this passes the raw bytes as the `apdu` and
 * `response` properties and never formats them itself.
 * @module
 */

import { getLog } from "../log.ts";
import type {
  CardChannel,
  CardOperation,
  CardOperationOptions,
  CardReaderBackend,
  ReaderEvent,
  WatchOptions,
} from "../pcsc/mod.ts";

const log = getLog("apdu");

function loggingChannel(inner: CardChannel): CardChannel {
  return {
    reader: inner.reader,
    get atr() {
      return inner.atr;
    },
    async transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
      const response = await inner.transmit(apdu, signal);
      log.debug("{reader}: {apdu} -> {response}", { reader: inner.reader, apdu, response });
      return response;
    },
    ...(inner.resetOnEnd ? { resetOnEnd: () => inner.resetOnEnd?.() } : {}),
  };
}

/** `backend` with every APDU logged (only when debug logging is on for "apdu"). */
export function withApduLog(backend: CardReaderBackend): CardReaderBackend {
  return {
    kind: backend.kind,
    listReaders: (options) => backend.listReaders(options),
    withCard<T>(reader: string, fn: CardOperation<T>, options?: CardOperationOptions) {
      return backend.withCard(reader, (channel, attempt) => {
        return fn(loggingChannel(channel), attempt);
      }, options);
    },
    readerStates: (options) => backend.readerStates(options),
    watch: (onEvent: (event: ReaderEvent) => void, options?: WatchOptions) =>
      backend.watch(onEvent, options),
  };
}
