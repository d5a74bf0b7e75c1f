import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { JobMemory } from "../../lib/state";
import { DynamoDbStateStore } from "../../lib/state/dynamodb-store";
import { startDynalite } from "../support/dynalite";

const exec = promisify(execFile);

it("writes a snooze typed without Qianfan keys into the deployed DynamoDB table, and says so", async () => {
  const db = await startDynalite("qfhk-prod-state");
  const dir = await mkdtemp(join(tmpdir(), "qfhk-ddb-cli-"));
  try {
    const config = join(dir, "housekeeping.yml");
    await writeFile(config, "version: 1\nstate: { kind: dynamodb, table: qfhk-prod-state }\n");
    // No QIANFAN_* variable at all: the command must still write where the functions read.
    const env: Record<string, string | undefined> = {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: "cn-north-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    // (QFHK_TEST_* stay: they set up the test harness itself, such as CI's moved clock.)
    for (const name of Object.keys(env))
      if (name.startsWith("QIANFAN_") || (name.startsWith("QFHK_") && !name.startsWith("QFHK_TEST_")))
        delete env[name];
    const { stdout } = await exec(
      process.execPath,
      ["bin/qfhk.mjs", "snooze", "unit-abc", "2d", "--config", config, "--reason", "demo on Friday"],
      { env, timeout: 150_000 },
    );
    expect(stdout).toContain("(DynamoDB table qfhk-prod-state)");
    // People read the end in the config's zone, with its offset; the table keeps ISO 8601 UTC.
    expect(stdout).toMatch(/^unit-abc snoozed until \d{4}-\d\d-\d\d \d\d:\d\d \+08:00 \(Asia\/Shanghai\): /);
    const memory = new JobMemory(
      await DynamoDbStateStore.open({ table: "qfhk-prod-state", client: db.client }),
    );
    const [snooze] = await memory.listSnoozes(new Date(Date.now() + 86_400_000));
    const until = snooze?.until;
    expect(snooze).toEqual({
      resourceId: "unit-abc",
      until: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      by: "cli",
      reason: "demo on Friday",
      kind: "snooze",
    });
    // Two days from when the command ran, give or take the command's own run time.
    expect(Math.abs(Date.parse(until!) - (Date.now() + 2 * 86_400_000))).toBeLessThan(150_000);

    const listed = await exec(process.execPath, ["bin/qfhk.mjs", "snoozes", "--config", config, "--json"], {
      env,
      timeout: 150_000,
    });
    expect(JSON.parse(listed.stdout)).toEqual([snooze]);
    const history = await exec(process.execPath, ["bin/qfhk.mjs", "history", "--config", config, "--json"], {
      env,
      timeout: 150_000,
    });
    expect(JSON.parse(history.stdout)).toEqual([
      expect.objectContaining({ action: "snooze", resourceId: "unit-abc", detail: "by cli" }),
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.close();
  }
});
