import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { loadConfig } from "../../lib/config";
import { compiledConfigText } from "../../lib/config/compiled";
import { DEMO_CREDENTIALS, type Fleet } from "../../lib/emulator";
import { type AuditRecord, MemoryStateStore, type StateChange, type StateStore } from "../../lib/state";
import { apiFor, emulatorWith, T0 } from "../support/emulator";

const exec = promisify(execFile);
const JOBS = ["scale-services", "tpm-windows", "release-units", "stop-batch-tasks"];
const FUNCTIONS = [...JOBS, "chatops-webhook", "chatops-worker"];
/** The factory of each job in {@link JOBS}, as lib/jobs names it. */
const JOB_FACTORIES = ["scaleServicesJob", "tpmWindowsJob", "releaseUnitsJob", "stopBatchTasksJob"];
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

/**
 * A service folder of its own (serverless.yml and the config copied, the rest linked), so these
 * packagings neither overwrite .serverless/ nor share esbuild's work folder with the one above.
 */
let serviceDir: string;
beforeAll(async () => {
  serviceDir = await mkdtemp(join(tmpdir(), "qfhk-service-"));
  for (const name of ["node_modules", "lib", "build", "functions", "package.json", "tsconfig.json"]) {
    await symlink(resolve(name), join(serviceDir, name));
  }
  // The framework wants a real file for its config, and the bundled config is packaged by path.
  await copyFile("serverless.yml", join(serviceDir, "serverless.yml"));
  await copyFile("housekeeping.example.yml", join(serviceDir, "housekeeping.example.yml"));
});
afterAll(async () => {
  await rm(serviceDir, { recursive: true, force: true });
});

/** `serverless package` in the service folder copy with stage parameters; never throws. */
async function packageCopy(
  params: string[],
): Promise<{ code: number; output: string; out: string; resources?: Record<string, Resource> }> {
  const out = await mkdtemp(join(serviceDir, "out-"));
  const args = ["120", process.execPath, "node_modules/serverless/bin/serverless.js", "package"];
  args.push("--stage", "dev", "--package", out, ...params.map((p) => `--param=${p}`));
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" };
  try {
    const { stdout, stderr } = await exec("timeout", args, { cwd: serviceDir, env, timeout: 130_000 });
    const template = readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8");
    return { code: 0, output: stdout + stderr, out, resources: JSON.parse(template).Resources };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr, out };
  }
}

/** The file names `unzip -l` lists. */
const zipEntries = (listing: string) =>
  listing
    .split("\n")
    .map((line) => /^\s*\d+\s+\S+\s+\S+\s+(\S.*)$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);

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
        QFHK_CONFIG: "dist/housekeeping.json",
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

  it.each(JOBS)("lets a %s run killed at its timeout never block the next scheduled one", (job) => {
    // The run lock's lease is what is left of the invocation plus a minute (lib/engine/runner.ts).
    const timeoutSeconds = resources[`${logicalName(job)}LambdaFunction`]!.Properties.Timeout as number;
    const rule = ofType("AWS::Events::Rule").find(([name]) => name.startsWith(logicalName(job)))!;
    const minutes = Number(/^rate\((\d+) minutes\)$/.exec(rule[1].Properties.ScheduleExpression)![1]);
    expect(timeoutSeconds + 60).toBeLessThan(minutes * 60);
  });

  it("keeps logs for a set time", () => {
    const groups = ofType("AWS::Logs::LogGroup");
    // The four jobs, the chat webhook and the chat worker.
    expect(groups).toHaveLength(6);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });

  it("serves the chat webhook on POST and GET /chatops/{platform}, and lets it invoke the worker alone", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route")
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(["GET /chatops/{platform}", "POST /chatops/{platform}"]);
    const invoke = statementsOf("chatops-webhook").filter((st) =>
      st.Action.includes("lambda:InvokeFunction"),
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.Resource).toEqual({ "Fn::GetAtt": ["ChatopsDashworkerLambdaFunction", "Arn"] });
    for (const job of JOBS) {
      expect(statementsOf(job).some((st) => st.Action.includes("lambda:InvokeFunction"))).toBe(false);
    }
    expect(statementsOf("chatops-worker").some((st) => st.Action.includes("lambda:InvokeFunction"))).toBe(
      false,
    );
    // The worker is invoked asynchronously; a failed run is not retried (it runs each event once anyway).
    const config = ofType("AWS::Lambda::EventInvokeConfig").find(([name]) =>
      name.startsWith("ChatopsDashworker"),
    );
    expect(config?.[1].Properties.MaximumRetryAttempts).toBe(0);
    expect(
      resources.ChatopsDashwebhookLambdaFunction!.Properties.Environment.Variables.QFHK_CHAT_WORKER,
    ).toBe("qianfan-housekeeper-dev-chatops-worker");
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

  it("bundles each function with the compiled config, and without the AWS SDK, a YAML parser, picomatch or zod's classic API", async () => {
    const compiled = readFileSync("dist/housekeeping.json", "utf8");
    expect(JSON.parse(compiled).compiledFrom).toBe("housekeeping.example.yml");
    // The globs come compiled with the config: the built-in protections' among them.
    expect(Object.keys(JSON.parse(compiled).globs)).toEqual(expect.arrayContaining(["system*", "*-keep"]));
    for (const fn of FUNCTIONS) {
      const { stdout } = await exec("unzip", ["-l", `.serverless/${fn}.zip`]);
      expect(stdout).toContain(`functions/${fn}.js`);
      expect(stdout).toContain("functions/package.json");
      expect(stdout).toContain("dist/housekeeping.json");
      expect(stdout).not.toContain(".yml");
      expect(stdout).not.toContain("node_modules/");
      // The handler and its chunks, in a folder of its own: no other function's code.
      const scripts = zipEntries(stdout).filter((name) => name.endsWith(".js"));
      expect(scripts).toContain(`functions/${fn}.js`);
      for (const script of scripts) {
        expect(script === `functions/${fn}.js` || script.startsWith(`functions/${fn}.chunks/`)).toBe(true);
      }
      const { stdout: bundle } = await exec("unzip", ["-p", `.serverless/${fn}.zip`, ...scripts], {
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(bundle).not.toContain("YAMLParseError");
      expect(bundle).not.toContain("Expected pattern to be a non-empty string");
      expect(bundle).not.toContain('"ZodString"');
      expect(bundle).toContain('"ZodMiniString"');
      // The source maps name the original identifiers of the code bundled: a job's function holds
      // its job's factory alone, the worker (every chat command) all of them, the webhook none.
      const maps = zipEntries(stdout).filter((name) => name.endsWith(".js.map"));
      expect(maps).toContain(`functions/${fn}.js.map`);
      const bundled = new Set<string>();
      const sources = new Set<string>();
      for (const map of maps) {
        const { stdout: mapText } = await exec("unzip", ["-p", `.serverless/${fn}.zip`, map], {
          maxBuffer: 64 * 1024 * 1024,
        });
        const parsed = JSON.parse(mapText);
        for (const name of namesInCode(parsed)) bundled.add(name);
        for (const source of parsed.sources as string[]) sources.add(source);
      }
      // Neither in the cold start nor in a chunk loaded on demand: only the YAML path compiles globs.
      expect([...sources].filter((source) => source.includes("node_modules/picomatch/"))).toEqual([]);
      expect([...sources].some((source) => source.endsWith("lib/config/glob.ts"))).toBe(true);
      const jobs = JOB_FACTORIES.filter((factory) => bundled.has(factory));
      expect(jobs).toEqual(
        fn === "chatops-worker" ? JOB_FACTORIES : JOBS.includes(fn) ? [JOB_FACTORIES[JOBS.indexOf(fn)]] : [],
      );
      const { stdout: packagedConfig } = await exec("unzip", [
        "-p",
        `.serverless/${fn}.zip`,
        "dist/housekeeping.json",
      ]);
      expect(packagedConfig).toBe(compiled);
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

  it("loads the doctor's checks from their chunk in the zip on a doctor event; a run never needs them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qfhk-zip-"));
    const emulator = await emulatorWith(JSON.parse(readFileSync("fleets/demo-fleet.json", "utf8")) as Fleet);
    try {
      await exec("unzip", ["-q", resolve(".serverless/release-units.zip"), "-d", dir]);
      const chunks = join(dir, "functions/release-units.chunks");
      const checks = readdirSync(chunks).find((name) => /^checks-\w+\.js$/.test(name));
      expect(checks).toBeDefined();
      // State in memory: the unpacked zip has no lock library for a state file (DynamoDB when deployed).
      // Packaged so (digest and all): a file edited by hand is refused, as the next test shows.
      const file = JSON.parse(await readFile(join(dir, "dist/housekeeping.json"), "utf8"));
      file.config.state = { ...file.config.state, kind: "memory" };
      await writeFile(
        join(dir, "dist/housekeeping.json"),
        compiledConfigText(file.config, file.warnings, file.compiledFrom, file.globs),
      );
      const invoke = async (events: unknown[]) => {
        const script = `const { handler } = await import("./functions/release-units.js");
          const out = [];
          for (const event of ${JSON.stringify(events)}) {
            try { out.push({ ok: true, result: await handler(event, {}) }); }
            catch (e) { out.push({ name: e.name, message: e.message }); }
          }
          console.log(JSON.stringify(out));`;
        const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], {
          cwd: dir,
          env: {
            PATH: process.env.PATH,
            QFHK_CONFIG: "dist/housekeeping.json",
            QFHK_DRY_RUN: "true",
            QIANFAN_ACCESS_KEY: DEMO_CREDENTIALS.accessKeyId,
            QIANFAN_SECRET_KEY: DEMO_CREDENTIALS.secretAccessKey,
            QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
          },
          maxBuffer: 16 * 1024 * 1024,
        });
        return JSON.parse(stdout.trim().split("\n").at(-1)!) as Array<{
          ok?: boolean;
          result?: { checks?: unknown[]; jobs?: Array<{ job: string }> };
          name?: string;
          message?: string;
        }>;
      };
      const [doctor] = await invoke([{ doctor: true }]);
      expect(doctor, JSON.stringify(doctor)).toMatchObject({ ok: true });
      expect(doctor!.result!.checks!.length).toBeGreaterThan(0);

      await rm(join(chunks, checks!));
      const [run, doctorWithout] = await invoke([{ dryRun: true }, { doctor: true }]);
      expect(run!.ok).toBe(true);
      expect(run!.result!.jobs!.map((job) => job.job)).toEqual(["release-units"]);
      expect(doctorWithout, JSON.stringify(doctorWithout)).toMatchObject({
        message: expect.stringContaining(checks!),
      });
    } finally {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad event or a hand-edited config with errors named as in the code, naming the key and the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qfhk-zip-"));
    try {
      await exec("unzip", ["-q", resolve(".serverless/release-units.zip"), "-d", dir]);
      // As Lambda runs it: from the unpacked zip, with the stage's environment.
      const invoke = async (events: unknown[]) => {
        const script = `const { handler } = await import("./functions/release-units.js");
          const out = [];
          for (const event of ${JSON.stringify(events)}) {
            try { await handler(event, {}); out.push({ ok: true }); }
            catch (e) { out.push({ name: e.name, constructor: e.constructor.name, message: e.message }); }
          }
          console.log(JSON.stringify(out));`;
        const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], {
          cwd: dir,
          env: { PATH: process.env.PATH, QFHK_CONFIG: "dist/housekeeping.json", QFHK_DRY_RUN: "true" },
        });
        return JSON.parse(stdout.trim().split("\n").at(-1)!) as Array<Record<string, string>>;
      };
      const [notJson, list, badKey] = await invoke(["not json", [1], { dryRun: "yes" }]);
      for (const refused of [notJson, list, badKey]) {
        expect(refused).toMatchObject({ name: "EventError", constructor: "EventError" });
      }
      expect(notJson!.message).toContain("the event must be a JSON object");
      expect(list!.message).toContain("the event must be a JSON object");
      expect(badKey!.message).toBe("invalid event: dryRun: Invalid input: expected boolean, received string");

      const config = JSON.parse(await readFile(join(dir, "dist/housekeeping.json"), "utf8"));
      config.config.jobs["release-units"].minAge = "0s";
      config.config.jobs["release-units"].idelFor = "2h";
      await writeFile(join(dir, "dist/housekeeping.json"), JSON.stringify(config));
      const [edited] = await invoke([{ dryRun: true }]);
      expect(edited).toMatchObject({ name: "ConfigError", constructor: "ConfigError" });
      const source = "dist/housekeeping.json (compiled from housekeeping.example.yml)";
      expect(edited!.message).toBe(
        `${source}: changed since it was packaged (its digest does not match), so its changes were never validated; edit housekeeping.example.yml and package the service again`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The statements of a function's own role. */
const statementsOf = (job: string, template: Record<string, Resource> = resources): Statement[] =>
  template[`${logicalName(job)}IamRoleLambdaExecution`]!.Properties.Policies.flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );

/** IAM's resource matching: `*` any run of characters, `?` exactly one. */
const iamMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  ).test(arn);

/** The partitions (`pk`) of the state table every job uses: locks, run memos, the audit trail. */
const SHARED_PARTITIONS = ["lock", "audit", "v#run-memos"];
/** Each job's own partitions (lib/state/job-memory.ts, lib/jobs/tpm-windows/job.ts). */
const JOB_PARTITIONS: Record<string, string[]> = {
  "scale-services": ["v#snoozes", "v#marks:scale-services", "v#restore-targets:scale-services"],
  "tpm-windows": ["v#marks:tpm-windows", "v#tpm-windows:pending"],
  "release-units": ["v#snoozes", "v#marks:release-units"],
  "stop-batch-tasks": ["v#snoozes", "v#marks:stop-batch-tasks"],
};
const leadingKeysOf = (job: string, template?: Record<string, Resource>): string[] => {
  const [dynamo] = statementsOf(job, template).filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")));
  return (dynamo as Statement & { Condition: Record<string, Record<string, string[]>> }).Condition[
    "ForAllValues:StringEquals"
  ]!["dynamodb:LeadingKeys"]!;
};

describe("the packaged permissions, retries and table", () => {
  const SECRET = "arn:aws-cn:secretsmanager:cn-north-1:000000000000:secret:qianfan-housekeeper-keys";

  it("grants the secret by its real ARN: the name and Secrets Manager's six random characters", () => {
    for (const job of JOBS) {
      const [secret] = statementsOf(job).filter((s) => s.Action.includes("secretsmanager:GetSecretValue"));
      expect(secret!.Resource).toBe(`${SECRET}-??????`);
      expect(iamMatches(secret!.Resource as string, `${SECRET}-AbCdEf`)).toBe(true);
      expect(iamMatches(secret!.Resource as string, SECRET)).toBe(false);
      expect(iamMatches(secret!.Resource as string, `${SECRET}-other-AbCdEf`)).toBe(false);
      expect(iamMatches(secret!.Resource as string, `${SECRET}-AbCdEfG`)).toBe(false);
    }
  });

  it("grants no KMS key unless secretKmsKeyArn is set", () => {
    for (const job of JOBS) {
      expect(statementsOf(job).filter((s) => s.Action.some((a) => a.startsWith("kms:")))).toEqual([]);
    }
  });

  it.each(JOBS)("lets %s reach only its own partitions of the table and those every job shares", (job) => {
    const keys = leadingKeysOf(job);
    expect([...keys].sort()).toEqual([...SHARED_PARTITIONS, ...JOB_PARTITIONS[job]!].sort());
    for (const other of JOBS.filter((j) => j !== job)) {
      expect(keys).not.toContain(`v#marks:${other}`);
    }
    expect(keys.every((k) => !k.includes("*") && !k.includes("?"))).toBe(true);
  });

  it("keeps the state table when the stack is removed or the table replaced", () => {
    expect(resources.StateTable).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
  });

  it.each(JOBS)("never retries a failed scheduled run of %s, and drops an event held too long", (job) => {
    const configs = ofType("AWS::Lambda::EventInvokeConfig").filter(
      ([, r]) => r.Properties.FunctionName?.Ref === `${logicalName(job)}LambdaFunction`,
    );
    expect(configs).toHaveLength(1);
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = configs[0]![1].Properties;
    expect(MaximumRetryAttempts).toBe(0);
    // Long enough to wait out a run still holding the one slot (timeout ≤ 300 s), shorter than the
    // 15 minutes to the next scheduled run.
    expect(MaximumEventAgeInSeconds).toBeGreaterThan(300);
    expect(MaximumEventAgeInSeconds).toBeLessThan(900);
  });
});

describe("packaging a stage", () => {
  it("with secretKmsKeyArn, grants kms:Decrypt on that key, through Secrets Manager only", async () => {
    const key = "arn:aws-cn:kms:cn-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { code, output, resources: template } = await packageCopy([`secretKmsKeyArn=${key}`]);
    expect(code, output).toBe(0);
    for (const job of JOBS) {
      const kms = statementsOf(job, template).filter((s) => s.Action.some((a) => a.startsWith("kms:")));
      expect(kms).toEqual([
        {
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: key,
          Condition: {
            StringEquals: {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template.
              "kms:ViaService": { "Fn::Sub": "secretsmanager.${AWS::Region}.${AWS::URLSuffix}" },
            },
          },
        },
      ]);
      expect(leadingKeysOf(job, template)).toEqual(leadingKeysOf(job));
    }
  }, 140_000);

  it("fails before building anything when the config is broken, naming the file and every problem", async () => {
    await writeFile(
      join(serviceDir, "broken.yml"),
      'version: 1\ncalendar:\n  holidays: ["2026-02-30"]\njobs:\n  release-units:\n    idelFor: 2h\n',
    );
    const { code, output, out } = await packageCopy(["configFile=broken.yml"]);
    expect(code).not.toBe(0);
    expect(output).toContain("broken.yml:3: calendar.holidays.0: 2026-02-30 is not a real date");
    expect(output).toContain(
      "broken.yml:6: jobs.release-units.idelFor: unknown key; check the spelling against housekeeping.schema.json",
    );
    expect(output).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual([]);
  }, 140_000);

  it("fails on a config file it could not bundle and on a secretArn given with its random suffix", async () => {
    const outside = await packageCopy([`configFile=${resolve("housekeeping.example.yml")}`]);
    expect(outside.code).not.toBe(0);
    expect(outside.output).toContain("must be a relative path inside the service folder");
    const missing = await packageCopy(["configFile=housekeeping.yml"]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("housekeeping.yml: cannot read the config file (ENOENT)");
    const full = await packageCopy([
      "secretArn=arn:aws-cn:secretsmanager:cn-north-1:000000000000:secret:qianfan-housekeeper-keys-AbCdEf",
    ]);
    expect(full.code).not.toBe(0);
    expect(full.output).toContain("param secretArn:");
    expect(full.output).toContain("without Secrets Manager's random suffix");
  }, 140_000);
});

/** A store that notes every partition (`pk`) the DynamoDB store would use for each call. */
class PartitionRecorder implements StateStore {
  readonly partitions = new Set<string>();
  readonly #inner: StateStore;

  constructor(inner: StateStore) {
    this.#inner = inner;
  }

  #value(namespace: string) {
    this.partitions.add(`v#${namespace}`);
  }

  get<T>(namespace: string, key: string) {
    this.#value(namespace);
    return this.#inner.get<T>(namespace, key);
  }
  list<T>(namespace: string) {
    this.#value(namespace);
    return this.#inner.list<T>(namespace);
  }
  put<T>(namespace: string, key: string, value: T, options?: { expiresAt?: Date }) {
    this.#value(namespace);
    return this.#inner.put(namespace, key, value, options);
  }
  delete(namespace: string, key: string) {
    this.#value(namespace);
    return this.#inner.delete(namespace, key);
  }
  writeBatch(changes: readonly StateChange[]) {
    for (const c of changes) this.#value(c.namespace);
    return this.#inner.writeBatch(changes);
  }
  acquireLock(name: string, owner: string, leaseMs: number, now: Date) {
    this.partitions.add("lock");
    return this.#inner.acquireLock(name, owner, leaseMs, now);
  }
  renewLock(name: string, owner: string, leaseMs: number, now: Date) {
    this.partitions.add("lock");
    return this.#inner.renewLock(name, owner, leaseMs, now);
  }
  releaseLock(name: string, owner: string) {
    this.partitions.add("lock");
    return this.#inner.releaseLock(name, owner);
  }
  appendAudit(record: AuditRecord) {
    this.partitions.add("audit");
    return this.#inner.appendAudit(record);
  }
  appendAuditBatch(records: readonly AuditRecord[]) {
    this.partitions.add("audit");
    return this.#inner.appendAuditBatch(records);
  }
  listAudit(query?: { since?: Date; job?: string; limit?: number }) {
    this.partitions.add("audit");
    return this.#inner.listAudit(query);
  }
}

describe("the state the jobs really use", () => {
  it.each(JOBS)(
    "is within what the %s function may reach",
    async (job) => {
      const fleet = JSON.parse(readFileSync("fleets/demo-fleet.json", "utf8")) as Fleet;
      const emulator = await emulatorWith(fleet);
      try {
        const { config } = await loadConfig("housekeeping.example.yml");
        const store = new PartitionRecorder(new MemoryStateStore());
        // Monday 10:00, 12:30 and 20:00 in Shanghai, then Tuesday 10:00: windows open and close,
        // services go down and come back, idle units are marked and released.
        for (const hours of [0, 2.5, 10, 24]) {
          const now = new Date(T0.getTime() + hours * 3_600_000);
          emulator.clock.set(now);
          await runHousekeeping({
            config,
            api: apiFor(emulator),
            store,
            job,
            dryRun: false,
            now,
            clock: () => now,
            target: emulator.url,
          });
        }
        expect(store.partitions).toContain(`v#marks:${job}`);
        expect([...store.partitions].filter((pk) => !leadingKeysOf(job).includes(pk))).toEqual([]);
      } finally {
        await emulator.close();
      }
    },
    60_000,
  );
});

/**
 * The original names a source map gives its generated code (the identifiers minification renamed).
 * Each segment of `mappings` is Base64 VLQ; its fifth field, when present, indexes `names`, as a
 * delta from the previous such field in the map.
 */
function namesInCode(map: { names: string[]; mappings: string }): string[] {
  const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const used = new Set<number>();
  let name = 0;
  for (const segment of map.mappings.split(/[;,]/)) {
    const fields: number[] = [];
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = digits.indexOf(char);
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
        continue;
      }
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
    if (fields.length >= 5) {
      name += fields[4]!;
      used.add(name);
    }
  }
  return [...used].map((index) => map.names[index]!);
}
