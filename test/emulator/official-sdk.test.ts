import { consoleAction, setEnvVariable } from "@baiducloud/qianfan";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { startAt, unit } from "./helpers";

// The official SDK reads QIANFAN_* from process.env on every call; setEnvVariable writes there.
const NAMES = ["QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY", "QIANFAN_CONSOLE_API_BASE_URL"] as const;
const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startAt({ computeUnits: [unit("unit-sdk-1"), unit("unit-sdk-2", { region: "bd" })] });
  setEnvVariable("QIANFAN_CONSOLE_API_BASE_URL", emulator.url);
});
afterAll(async () => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await emulator.close();
});

const describeUnits = () =>
  consoleAction({ base_api_route: "/v2/computeunit", action: "DescribeComputeUnits", data: {} });

describe("the official @baiducloud/qianfan consoleAction against the emulator", () => {
  it("lists the fleet's compute units with the demo key pair", async () => {
    setEnvVariable("QIANFAN_ACCESS_KEY", DEMO_CREDENTIALS.accessKeyId);
    setEnvVariable("QIANFAN_SECRET_KEY", DEMO_CREDENTIALS.secretAccessKey);
    const answer = await describeUnits();
    expect(answer.result.computeUnitInstanceList.map((u: { instanceId: string }) => u.instanceId)).toEqual([
      "unit-sdk-1",
      "unit-sdk-2",
    ]);
    expect(emulator.requestLog.at(-1)).toMatchObject({
      action: "DescribeComputeUnits",
      status: 200,
      accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    });
  });

  it("is refused with SignatureDoesNotMatch when its secret is wrong", async () => {
    setEnvVariable("QIANFAN_ACCESS_KEY", DEMO_CREDENTIALS.accessKeyId);
    setEnvVariable("QIANFAN_SECRET_KEY", "not-the-demo-secret");
    // The SDK resolves some error bodies as if they were results and throws on others: accept
    // either, as long as what comes back is the refusal.
    const outcome = await describeUnits().then(
      (body: unknown) => JSON.stringify(body),
      (error: unknown) => String((error as Error)?.message ?? error),
    );
    expect(outcome).toContain("SignatureDoesNotMatch");
    expect(outcome).not.toContain("unit-sdk-1");
    expect(emulator.requestLog.at(-1)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });
});
