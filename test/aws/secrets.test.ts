import type { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { secretsManagerCredentials } from "../../lib/aws/secrets";

const ARN = "arn:aws:secretsmanager:cn-north-1:123456789012:secret:qfhk-keys-AbCdEf";

function fakeSecrets(values: Array<string | Error>) {
  const calls: string[] = [];
  return {
    calls,
    client: {
      send: async (command: GetSecretValueCommand) => {
        calls.push(String(command.input.SecretId));
        const next = values[Math.min(calls.length - 1, values.length - 1)]!;
        if (next instanceof Error) throw next;
        return { SecretString: next };
      },
    },
  };
}

describe("secretsManagerCredentials", () => {
  it("reads the key pair once and serves it from the cache within the TTL", async () => {
    let now = 0;
    const fake = fakeSecrets([JSON.stringify({ accessKey: "ak-1", secretKey: "sk-1" })]);
    const provider = secretsManagerCredentials({
      secretId: ARN,
      client: fake.client,
      ttlMs: 60_000,
      clock: () => now,
    });
    expect(await provider.get()).toEqual({ accessKeyId: "ak-1", secretAccessKey: "sk-1" });
    now = 59_000;
    await provider.get();
    expect(fake.calls).toEqual([ARN]);
    now = 61_000;
    await provider.get();
    expect(fake.calls).toHaveLength(2);
  });

  it("fetches a rotated key at once on refresh", async () => {
    const fake = fakeSecrets([
      JSON.stringify({ accessKey: "ak-1", secretKey: "sk-1" }),
      JSON.stringify({ accessKey: "ak-2", secretKey: "sk-2" }),
    ]);
    const provider = secretsManagerCredentials({ secretId: ARN, client: fake.client });
    await provider.get();
    expect(await provider.refresh!()).toEqual({ accessKeyId: "ak-2", secretAccessKey: "sk-2" });
    expect(await provider.get()).toEqual({ accessKeyId: "ak-2", secretAccessKey: "sk-2" });
  });

  it.each([
    ["not json", `secret ${ARN}: is not JSON`],
    [JSON.stringify({ accessKey: "ak" }), "the secret access key is missing"],
    [JSON.stringify({ access_key: "ak", secretKey: "sk-very-secret" }), "the access key id is missing"],
  ])("fails fast on a malformed secret %j, naming the secret and never its value", async (value, message) => {
    const provider = secretsManagerCredentials({ secretId: ARN, client: fakeSecrets([value]).client });
    const error = (await provider.get().catch((e) => e)) as Error;
    expect(error.message).toContain(message);
    expect(error.message).toContain(ARN);
    expect(error.message).not.toContain("sk-very-secret");
  });

  it("names a secret that cannot be read", async () => {
    const missing = Object.assign(new Error("Secrets Manager can't find the specified secret."), {
      name: "ResourceNotFoundException",
    });
    const provider = secretsManagerCredentials({ secretId: ARN, client: fakeSecrets([missing]).client });
    await expect(provider.get()).rejects.toThrow(`secret ${ARN}: cannot be read (ResourceNotFoundException)`);
  });
});
