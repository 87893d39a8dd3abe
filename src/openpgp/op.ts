/**
 * The working set of one OpenPGP card operation, shared by the operation modules.
 * @module
 */

import type { OperationContext } from "../app/mod.ts";
import type { AttrContext } from "./attributes.ts";
import type { PinFlowContext } from "./pin_flow.ts";

/**
 * One operation's working set: the session on this transaction, the current ARD (replaced
 * when a write changes it), the caller's PIN provider and status sink, and lazy key access.
 */
export interface Op extends PinFlowContext, AttrContext {
  ctx: OperationContext;
}
