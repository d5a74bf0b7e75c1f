import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const JOBS = ["scale-services", "tpm-windows", "release-units", "stop-batch-tasks"];
const logicalName = (job: string) => job[0]!.toUpperCase() + job.slice(1).replaceAll("-", "Dash");

// CloudFormation JSON is untyped: the assertions below are its types.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string[]; Resource: unknown };
let resources: Record<string, Resource>;

beforeAll(async () => {
  // The real framework (osls) and esbuild, offline: no AWS account or network is needed to package.
  await exec(
    "timeout",
    ["300", process.execPath, "node_modules/serverless/bin/serverless.js", "package", "--stage", "dev"],
    {
      env: { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" },
      timeout: 310_000,
    },
  );
  resources = JSON.parse(
    readFileSync(".serverless/cloudformation-template-update-stack.json", "utf8"),
  ).Resources;
}, 320_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe("the packaged CloudFormation template", () => {
  it.each(JOBS)(
    "has the %s function on Node 22, arm64, one run at a time, with its stage settings",
    (job) => {
      const fn = resources[`${logicalName(job)}LambdaFunction`]!;
      expect(fn.Type).toBe("AWS::Lambda::Function");
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        ReservedConcurrentExecutions: 1,
        Handler: `functions/${job}.handler`,
      });
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(300);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        QFHK_STATE_TABLE: "qianfan-housekeeper-dev-state",
        QFHK_DRY_RUN: "true",
        QFHK_SECRET_ARN: expect.stringMatching(/^arn:aws(-cn)?:secretsmanager:/),
      });
    },
  );

  it.each(JOBS)("runs %s on its own schedule", (job) => {
    const rules = ofType("AWS::Events::Rule").filter(([name]) => name.startsWith(logicalName(job)));
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties.ScheduleExpression).toMatch(/^rate\(\d+ minutes\)$/);
    expect(JSON.stringify(rules[0]![1].Properties.Targets)).toContain(`${logicalName(job)}LambdaFunction`);
  });

  it("keeps logs for a set time", () => {
    const groups = ofType("AWS::Logs::LogGroup");
    expect(groups).toHaveLength(4);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });

  it("defines the state table: on demand, TTL, point-in-time recovery", () => {
    expect(resources.StateTable!.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
  });

  it("gives each function its own role: the one secret and the one table, no wildcard resource", () => {
    for (const job of JOBS) {
      const fn = resources[`${logicalName(job)}LambdaFunction`]!;
      const roleName = fn.Properties.Role["Fn::GetAtt"][0] as string;
      expect(roleName).toBe(`${logicalName(job)}IamRoleLambdaExecution`);
      const statements = resources[roleName]!.Properties.Policies.flatMap(
        (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
      );
      const secrets = statements.filter((s: Statement) =>
        s.Action.some((a: string) => a.startsWith("secretsmanager:")),
      );
      const dynamo = statements.filter((s: Statement) =>
        s.Action.some((a: string) => a.startsWith("dynamodb:")),
      );
      expect(secrets).toEqual([
        {
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: expect.stringMatching(/^arn:/),
        },
      ]);
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0].Resource).toEqual({ "Fn::GetAtt": ["StateTable", "Arn"] });
      expect(dynamo[0].Action.every((a: string) => !a.includes("*"))).toBe(true);
    }
    for (const [, role] of ofType("AWS::IAM::Role")) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const s of policy.PolicyDocument.Statement) {
          const resourcesOf = ([] as unknown[]).concat(s.Resource);
          const touchesData = s.Action.some(
            (a: string) => a.startsWith("secretsmanager:") || a.startsWith("dynamodb:"),
          );
          if (touchesData) expect(resourcesOf).not.toContain("*");
        }
      }
    }
  });

  it("bundles each function with the config file and without the AWS SDK", async () => {
    for (const job of JOBS) {
      const { stdout } = await exec("unzip", ["-l", `.serverless/${job}.zip`]);
      expect(stdout).toContain(`functions/${job}.js`);
      expect(stdout).toContain("functions/package.json");
      expect(stdout).toContain("housekeeping.example.yml");
      expect(stdout).not.toContain("node_modules/@aws-sdk");
    }
  });

  it("loads as an ES module exporting the handler, given only the AWS SDK the runtime provides", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qfhk-zip-"));
    try {
      await exec("unzip", ["-q", resolve(".serverless/release-units.zip"), "-d", dir]);
      await mkdir(join(dir, "node_modules"));
      await symlink(resolve("node_modules/@aws-sdk"), join(dir, "node_modules/@aws-sdk"));
      const { stdout } = await exec(process.execPath, [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(pathToFileURL(join(dir, "functions/release-units.js")).href)}); console.log(typeof m.handler);`,
      ]);
      expect(stdout.trim()).toBe("function");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
