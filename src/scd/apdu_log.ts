/**
 * APDU traffic at debug level in the `["scd-ts", "apdu"]` category, for every card operation
 * of any backend. The log sink redacts PIN-bearing commands and secret answers by INS
 * (src/log.ts `redactApdu`/`redactResponse`), so this passes the raw bytes as the `apdu` and
 * `response` properties and never formats them itself.
 *
 * A card that answers 61xx hands out the rest of an answer with GET RESPONSE (ISO 7816-4
 * §7.6.1), whose own header says nothing about what it carries. So each channel remembers
 * which command the current answer belongs to and passes its header as `answers`: the
 * continuation of a PSO:DECIPHER is as secret as its first part.
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

const INS_GET_RESPONSE = 0xc0;

/**
 * The header of the command whose answer `apdu`'s response carries: `pending` (the command
 * before, when it answered 61xx) for a GET RESPONSE, else `apdu` itself.
 */
export function answeredCommand(apdu: Uint8Array, pending: Uint8Array | undefined): Uint8Array {
  if (pending !== undefined && apdu[1] === INS_GET_RESPONSE) return pending;
  return apdu.slice(0, 4); // the header only: the body may be a PIN
}

function loggingChannel(inner: CardChannel): CardChannel {
  let pending: Uint8Array | undefined; // the answer that continues with GET RESPONSE
  return {
    reader: inner.reader,
    get atr() {
      return inner.atr;
    },
    async transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
      const answers = answeredCommand(apdu, pending);
      pending = undefined;
      const response = await inner.transmit(apdu, signal);
      if (response[response.length - 2] === 0x61) pending = answers;
      log.debug("{reader}: {apdu} -> {response}", {
        reader: inner.reader,
        apdu,
        response,
        answers,
      });
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
