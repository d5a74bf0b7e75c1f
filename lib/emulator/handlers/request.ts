import { z } from "zod";
import { PAGE_DEFAULT_MAX_KEYS, PAGE_MAX_KEYS } from "../../qianfan/actions";
import { valueAt } from "../../qianfan/operations";
import { parsePlatformTime } from "../../qianfan/schemas";
import { invalidParameter } from "../errors";
import type { EmulatorState } from "../state";

/** Runs one action on the state with the request body as sent; returns the answer's `result`. */
export type ActionHandler = (state: EmulatorState, body: unknown) => unknown;

/** A handler whose body is validated first, so the action itself sees only well-formed requests. */
export function defineHandler<S extends z.ZodType>(
  schema: S,
  run: (state: EmulatorState, body: z.output<S>) => unknown,
): ActionHandler {
  return (state, body) => run(state, validateBody(schema, body));
}

/**
 * Validates a request body; the first problem becomes the platform's 400 InappropriateJSON naming
 * the field — BCE's code for well-formed JSON with a required item missing or a value of the wrong
 * type (https://cloud.baidu.com/doc/BCC/s/Ojwvyo6nc).
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "body";
  if (issue.path.length > 0 && valueAt(body, issue.path) === undefined) {
    throw invalidParameter(field, "is required but missing from the request");
  }
  throw invalidParameter(field, issue.message);
}

export const Id = z.string().min(1);

/** A platform time as requests carry it: RFC 3339, or `YYYY-MM-DD hh:mm:ss` in Beijing time. */
export const PlatformTime = z
  .string()
  .refine((value) => parsePlatformTime(value) !== undefined, {
    message: "must be an RFC 3339 time or 'YYYY-MM-DD hh:mm:ss' (Beijing time)",
  })
  .transform((value) => parsePlatformTime(value)!);

/** The paging fields of the Describe* list actions. */
export const PagingFields = {
  marker: z.string().optional(),
  maxKeys: z.number().int().min(1).max(PAGE_MAX_KEYS).optional(),
  pageReverse: z.boolean().optional(),
};

export interface PageRequest {
  marker?: string;
  maxKeys?: number;
  pageReverse?: boolean;
}

/**
 * One page of a list. `marker` is the id of the first item of the page asked for (none: the
 * first page); `nextMarker` is the id of the first item of the next page. A marker is found in the
 * unfiltered list, so a page still starts in the right place when the item it names no longer
 * matches the filter (a task that finished between two pages). `positionOf` finds an id's place
 * in `all` from an index (-1: none); without it the list is searched.
 */
export function pageOf<T>(
  all: readonly T[],
  matches: (item: T) => boolean,
  idOf: (item: T) => string,
  request: PageRequest,
  positionOf: (id: string) => number = (id) => all.findIndex((item) => idOf(item) === id),
): { list: T[]; pageInfo: { marker: string; maxKeys: number; isTruncated: boolean; nextMarker?: string } } {
  const reverse = request.pageReverse === true;
  const at = (i: number) => all[reverse ? all.length - 1 - i : i]!;
  const maxKeys = request.maxKeys ?? PAGE_DEFAULT_MAX_KEYS;
  let start = 0;
  if (request.marker) {
    const position = positionOf(request.marker);
    if (position < 0) throw invalidParameter("marker", `${request.marker} is not the id of a listed item`);
    start = reverse ? all.length - 1 - position : position;
  }
  const list: T[] = [];
  let next: T | undefined;
  for (let i = start; i < all.length; i += 1) {
    const item = at(i);
    if (!matches(item)) continue;
    if (list.length === maxKeys) {
      next = item;
      break;
    }
    list.push(item);
  }
  return {
    list,
    pageInfo: {
      marker: request.marker ?? "",
      maxKeys,
      isTruncated: next !== undefined,
      ...(next !== undefined ? { nextMarker: idOf(next) } : {}),
    },
  };
}

/** Each record's times as last written, so a listing of 50k units does not write 150k of them again. */
const written = new WeakMap<Date, { ms: number; text: string }>();

/** An instant as the platform writes it: UTC, whole seconds. */
export function formatTime(date: Date): string;
export function formatTime(date: Date | undefined): string | undefined;
export function formatTime(date: Date | undefined): string | undefined {
  if (date === undefined) return undefined;
  const ms = date.getTime();
  const seen = written.get(date);
  if (seen?.ms === ms) return seen.text;
  const text = date.toISOString().replace(/\.\d{3}Z$/, "Z");
  written.set(date, { ms, text });
  return text;
}
