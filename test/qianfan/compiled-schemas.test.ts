import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BatchTaskSchema,
  ComputeUnitSchema,
  DescribeBatchTasksResult,
  DescribeServicesResult,
  PageInfoSchema,
  ServiceSchema,
  ServiceUnitSchema,
  TpmInstanceSchema,
} from "../../lib/qianfan/schemas";
import * as z from "../../lib/validation";
import { fuzz } from "../fuzz/runs";
import { postpaidUnit } from "../support/emulator";

/**
 * The CLI loads `zod/compile` (lib/cli/main.ts): its listings are read by generated parsers, which
 * hand every input they do not accept to zod's own. Both must read every answer alike — the same
 * verdict, the same value, the same problems — or the CLI and the functions would disagree on
 * what a listing says.
 */
const valid: Record<string, [z.ZodMiniType, Record<string, unknown>]> = {
  unit: [
    ComputeUnitSchema,
    {
      ...postpaidUnit("unit-a"),
      status: "Running",
      expiredTime: "2026-12-20T00:00:00Z",
      releaseTime: "-",
      reservationLength: 1,
      reservationTimeUnit: "MONTH",
      autoRenew: { renewTime: 1, renewTimeUnit: "MONTH" },
    },
  ],
  serviceUnit: [
    ServiceUnitSchema,
    { instanceId: "unit-a", replicasCount: 2, paymentTiming: "Postpaid", status: "Running" },
  ],
  service: [
    ServiceSchema,
    {
      serviceId: "svc-a",
      name: "chat",
      runStatus: "Serving",
      chargeType: "compute",
      createTime: "2026-11-01T00:00:00+08:00",
      updateTime: "2026-11-02 00:00:00",
      creator: "bob",
      resourceConfig: { type: "gpu-1", qps: 5, replicasCount: 1, region: "bj" },
    },
  ],
  tpm: [
    TpmInstanceSchema,
    {
      instanceId: "tpm-a",
      paymentTiming: "Postpaid",
      rpm: 60,
      tpm: 1000,
      status: "Running",
      startTime: "2026-11-01 00:00:00",
      expiredTime: "-",
    },
  ],
  task: [
    BatchTaskSchema,
    {
      taskId: "task-a",
      name: "nightly",
      runStatus: "Running",
      createTime: "2026-11-20T01:00:00.250Z",
      startTime: "2026-11-20 09:10:00",
      finishTime: "",
    },
  ],
  page: [PageInfoSchema, { marker: "", maxKeys: 100, isTruncated: true, nextMarker: "task-b" }],
};

/** Values a field may meet in a hostile answer: other types, edge numbers, times that are not. */
const oddValue = fc.oneof(
  fc.constantFrom(null, undefined, true, "", "-", "0000-00-00 00:00:00", "2026-02-30 00:00:00", "Running"),
  fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, -0),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 8 }),
);

/** A valid item with some fields removed, replaced by odd values, or added. */
function nearly(item: Record<string, unknown>) {
  const keys = Object.keys(item);
  return fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.constant("delete" as const), oddValue)), {
        maxLength: 3,
      }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
    )
    .map(([changes, extra]) => {
      const out: Record<string, unknown> = { ...extra, ...item };
      for (const [key, value] of changes) {
        if (value === "delete") delete out[key];
        else out[key] = value;
      }
      return out;
    });
}

const reading = (result: ReturnType<z.ZodMiniType["safeParse"]>) =>
  result.success
    ? { success: true, data: result.data }
    : {
        success: false,
        issues: result.error.issues.map(({ code, path, message }) => ({ code, path, message })),
      };

describe("zod's compiled parsers read the platform's answers as its own parsers do", () => {
  it.each(Object.keys(valid))("%s items", (name) => {
    const [schema, item] = valid[name]!;
    // Strict: a schema zod cannot compile throws here rather than being compared with itself.
    const compiled = z.compile(schema, { strict: true });
    expect(compiled).not.toBe(schema);
    expect(compiled.safeParse(item).success).toBe(true);
    fc.assert(
      fc.property(fc.oneof(nearly(item), oddValue), (input) => {
        expect(reading(compiled.safeParse(input))).toEqual(reading(schema.safeParse(input)));
      }),
      fuzz(2_000),
    );
  });

  it("whole pages of tasks and services, an item of which may be off", () => {
    const pages = [
      [DescribeBatchTasksResult, "taskList", valid.task![1]],
      [DescribeServicesResult, "serviceList", valid.service![1]],
    ] as const;
    for (const [schema, field, item] of pages) {
      const compiled = z.compile(schema, { strict: true });
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constant(item), nearly(item)), { maxLength: 5 }), (items) => {
          const page = { [field]: items, pageInfo: valid.page![1] };
          expect(reading(compiled.safeParse(page))).toEqual(reading(schema.safeParse(page)));
        }),
        fuzz(500),
      );
    }
  });
});
