// What a doctor run is given before it starts, apart from the checks: a function gathers the
// answers' dates from its first request on and loads the checks only for a doctor event.
import type { ClientEvent } from "../qianfan/client";

/** A model the platform currently lists for TPM quota, looked up when the config names none. */
export const DOCTOR_DEFAULT_MODEL = "ernie-speed-8k";

/** The answers' `Date` headers, collected from the client's events, for the clock check. */
export class ResponseDates {
  readonly seen: Array<{ serverMs: number; localMs: number }> = [];

  /** Pass as the client's `onEvent`. */
  readonly record = (event: ClientEvent): void => {
    if (event.type !== "response" || !event.serverDate) return;
    const serverMs = Date.parse(event.serverDate);
    // The server stamped its Date somewhere in the exchange: take its middle.
    if (Number.isFinite(serverMs)) this.seen.push({ serverMs, localMs: event.signedAtMs + event.ms / 2 });
  };
}
