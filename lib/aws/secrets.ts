import type { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { type Credentials, type CredentialsProvider, checkCredentials } from "../qianfan/credentials";
import { QianfanConfigError } from "../qianfan/errors";

/** The part of SecretsManagerClient used here, so tests can pass a small fake. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string }>;
}

export interface SecretCredentialsOptions {
  /** The secret's ARN (or name). */
  secretId: string;
  client?: SecretsClient;
  /** How long a fetched key pair is used before it is fetched again. */
  ttlMs?: number;
  clock?: () => number;
}

/**
 * Qianfan keys from an AWS Secrets Manager secret `{"accessKey": …, "secretKey": …}`, cached per
 * container for `ttlMs`. `refresh` fetches again at once: the client calls it once after
 * `InvalidAccessKeyId` / `SignatureDoesNotMatch`, so a rotated key is picked up. Messages name the
 * secret, never its value.
 */
export function secretsManagerCredentials(options: SecretCredentialsOptions): CredentialsProvider {
  let client: SecretsClient | undefined = options.client;
  const ttl = options.ttlMs ?? 5 * 60_000;
  const clock = options.clock ?? Date.now;
  let cached: { credentials: Credentials; at: number } | undefined;
  let inflight: Promise<Credentials> | undefined;

  const fetch = async (): Promise<Credentials> => {
    const parsed = await fetchSecretJson(options.secretId, client, (c) => {
      client = c;
    });
    const record = (parsed ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const credentials = checkCredentials(
      { accessKeyId: str(record.accessKey), secretAccessKey: str(record.secretKey) },
      `secret ${options.secretId} (keys accessKey, secretKey)`,
    );
    cached = { credentials, at: clock() };
    return credentials;
  };
  const once = () => {
    inflight ??= fetch().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
  return {
    get: async () => (cached && clock() - cached.at < ttl ? cached.credentials : once()),
    refresh: () => once(),
  };
}

/**
 * Reads a secret's JSON. The SDK is loaded on first use, not at import: a function's cold-start
 * import stays small. Messages name the secret, never its value.
 */
export async function fetchSecretJson(
  secretId: string,
  client: SecretsClient | undefined,
  keep: (client: SecretsClient) => void = () => {},
): Promise<Record<string, unknown>> {
  let text: string | undefined;
  try {
    const sdk = await import("@aws-sdk/client-secrets-manager");
    const used = client ?? (new sdk.SecretsManagerClient({}) as SecretsClient);
    keep(used);
    text = (await used.send(new sdk.GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    const name = (error as { name?: string }).name ?? "Error";
    throw new QianfanConfigError(`secret ${secretId}: cannot be read (${name})`);
  }
  if (!text) throw new QianfanConfigError(`secret ${secretId}: has no SecretString`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new QianfanConfigError(
      `secret ${secretId}: is not JSON; expected {"accessKey": …, "secretKey": …}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new QianfanConfigError(`secret ${secretId}: is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
