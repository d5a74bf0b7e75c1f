// A local Serverless plugin (listed in serverless.yml `plugins`). Before anything is packaged it
// validates the stage's `configFile` (lib/config, through tsx), so a config a function would
// refuse fails `serverless package` / `deploy` instead, naming the file, the lines and every
// problem; then compiles it to JSON (dist/housekeeping.json, which every function is packaged
// with and reads at cold start: no YAML parser in the bundles), with the config's globs compiled
// to regular expressions beside it (no picomatch in the bundles either). It also checks the secret
// parameters the IAM policy is built from, and grants kms:Decrypt on `secretKmsKeyArn` only when
// that parameter is set. `serverless offline` and `invoke local` get the same compiled config
// (dist/housekeeping.local.json, from any path), pointed to by QFHK_CONFIG.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { tsImport } from "tsx/esm/api";

/** A secret ARN without the random suffix Secrets Manager appends ("-AbCdEf"). */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** The suffix: a hyphen and six characters at the end of a full ARN. */
const RANDOM_SUFFIX = /-[A-Za-z0-9]{6}$/;
/** A KMS key ARN: kms:Decrypt is authorised on the key itself, never on an alias. */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export default class ValidateConfigPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    this.hooks = {
      "before:package:initialize": () => this.prepare(),
      "before:deploy:function:packageFunction": () => this.prepare(),
      "before:offline:start:init": () => this.prepare({ local: true }),
      "before:offline:start": () => this.prepare({ local: true }),
      // Before the environment is loaded, so QFHK_CONFIG names the compiled file.
      "before:invoke:local:loadEnvVars": () => this.prepare({ local: true }),
    };
  }

  async prepare({ local = false } = {}) {
    const settings = this.serverless.service.custom?.housekeeping ?? {};
    const problems = [
      ...this.#parameterProblems(settings),
      ...(await this.#configProblems(settings.configFile, local)),
    ];
    if (problems.length > 0) {
      throw new this.serverless.classes.Error(
        `The stage's config or parameters are not valid; nothing was packaged:\n  ${problems.join("\n  ")}`,
        "QFHK_INVALID_STAGE_SETTINGS",
      );
    }
    if (settings.secretKmsKeyArn) this.#grantKeyDecrypt(settings.secretKmsKeyArn);
  }

  #parameterProblems({ secretArn, secretKmsKeyArn }) {
    const problems = [];
    if (typeof secretArn !== "string" || !SECRET_ARN.test(secretArn)) {
      problems.push(
        "param secretArn: expected the secret's ARN without its random suffix, arn:aws-cn:secretsmanager:REGION:ACCOUNT:secret:NAME",
      );
    } else if (RANDOM_SUFFIX.test(secretArn)) {
      // The policy matches NAME-?????? (the suffix is random): a full ARN would match no secret, and
      // a name that itself ends in a hyphen and six characters makes partial-ARN lookups ambiguous.
      problems.push(
        `param secretArn: ${secretArn} ends in a hyphen and six characters; give the ARN without Secrets Manager's random suffix (and do not name secrets like that)`,
      );
    }
    if (secretKmsKeyArn && !KMS_KEY_ARN.test(secretKmsKeyArn)) {
      problems.push(
        `param secretKmsKeyArn: expected a KMS key ARN, arn:aws-cn:kms:REGION:ACCOUNT:key/ID, got ${secretKmsKeyArn}`,
      );
    }
    return problems;
  }

  async #configProblems(configFile, local) {
    if (typeof configFile !== "string" || configFile === "")
      return ["param configFile: no config file given"];
    const serviceDir = this.serverless.serviceDir;
    const inService = relative(serviceDir, resolve(serviceDir, configFile));
    // Reports and messages name the file as the stage gives it: a path inside the service folder.
    if (!local && (isAbsolute(configFile) || inService.startsWith("..") || isAbsolute(inService))) {
      return [`param configFile: ${configFile} must be a relative path inside the service folder`];
    }
    const file = relative(process.cwd(), resolve(serviceDir, configFile)) || configFile;
    const { COMPILED_CONFIG_PATH, compileConfig, parseCompiledConfig } = await tsImport(
      "../lib/config/index.ts",
      import.meta.url,
    );
    const target = resolve(
      serviceDir,
      COMPILED_CONFIG_PATH.replace(/\.json$/, local ? ".local.json" : ".json"),
    );
    try {
      const { text, warnings } = await compileConfig(
        file,
        local ? resolve(serviceDir, configFile) : configFile,
      );
      // What the functions will read, read as they will: a compiled file they refuse fails here.
      parseCompiledConfig(text, relative(serviceDir, target));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text);
      for (const warning of warnings) this.log?.warning?.(warning);
    } catch (error) {
      if (error?.name !== "ConfigError") throw error;
      return error.problems;
    }
    if (local)
      this.serverless.service.provider.environment = {
        ...this.serverless.service.provider.environment,
        QFHK_CONFIG: target,
      };
    this.log?.verbose?.(`${file}: the config is valid; compiled to ${relative(serviceDir, target)}`);
    return [];
  }

  /** The secret's customer-managed key, usable only through Secrets Manager in this region. */
  #grantKeyDecrypt(keyArn) {
    const statement = {
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: keyArn,
      Condition: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template.
        StringEquals: { "kms:ViaService": { "Fn::Sub": "secretsmanager.${AWS::Region}.${AWS::URLSuffix}" } },
      },
    };
    for (const fn of Object.values(this.serverless.service.functions ?? {})) {
      fn.iamRoleStatements = fn.iamRoleStatements ?? [];
      if (!fn.iamRoleStatements.some((s) => s.Action?.includes("kms:Decrypt")))
        fn.iamRoleStatements.push(statement);
    }
  }
}
