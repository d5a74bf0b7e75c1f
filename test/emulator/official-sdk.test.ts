import { consoleAction } from "@baiducloud/qianfan";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { emulatorWith, postpaidUnit } from "../support/emulator";

// The official JS SDK reads its settings from process.env on every call.
let emulator: RunningEmulator;
const saved = { ...process.env };
beforeAll(async () => {
  emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-sdk-1"), postpaidUnit("unit-sdk-2")] });
  process.env.QIANFAN_CONSOLE_API_BASE_URL = emulator.url;
});
afterAll(async () => {
  process.env = saved;
  await emulator.close();
});

describe("the official @baiducloud/qianfan consoleAction against the emulator", () => {
  it("gets the fleet's compute units with the demo key pair", async () => {
    process.env.QIANFAN_ACCESS_KEY = DEMO_CREDENTIALS.accessKeyId;
    process.env.QIANFAN_SECRET_KEY = DEMO_CREDENTIALS.secretAccessKey;
    const res = await consoleAction({
      base_api_route: "/v2/computeunit",
      action: "DescribeComputeUnits",
      data: {},
    });
    expect(res.result.computeUnitInstanceList.map((u: { instanceId: string }) => u.instanceId)).toEqual([
      "unit-sdk-1",
      "unit-sdk-2",
    ]);
    const last = emulator.requestLog.at(-1)!;
    expect(last).toMatchObject({
      action: "DescribeComputeUnits",
      status: 200,
      accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    });
  });

  it("is refused with a wrong secret", async () => {
    process.env.QIANFAN_ACCESS_KEY = DEMO_CREDENTIALS.accessKeyId;
    process.env.QIANFAN_SECRET_KEY = "not-the-secret";
    // The SDK may throw or resolve the error body as if it were a success: accept either, but it must be the refusal.
    const outcome = await consoleAction({
      base_api_route: "/v2/computeunit",
      action: "DescribeComputeUnits",
      data: {},
    }).then(
      (body: unknown) => JSON.stringify(body),
      (error: unknown) => String((error as Error)?.message ?? error),
    );
    expect(outcome).toContain("SignatureDoesNotMatch");
    expect(emulator.requestLog.at(-1)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });
});
