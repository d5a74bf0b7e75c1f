import { QianfanConfigError } from "./errors";

/** An access key pair of Baidu Cloud IAM. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Where the client gets its keys. `refresh` is called once after the platform refuses the key
 * (`InvalidAccessKeyId` / `SignatureDoesNotMatch`), so a rotated secret is picked up.
 */
export interface CredentialsProvider {
  get(): Promise<Credentials>;
  refresh?(): Promise<Credentials>;
}

/** A provider for a fixed key pair. */
export function staticCredentials(credentials: Credentials): CredentialsProvider {
  const checked = checkCredentials(credentials, "the given credentials");
  return { get: async () => checked };
}

/** Validates a key pair's shape without ever putting the secret in a message. */
export function checkCredentials(credentials: Partial<Credentials>, source: string): Credentials {
  const accessKeyId = credentials.accessKeyId?.trim();
  const secretAccessKey = credentials.secretAccessKey?.trim();
  if (!accessKeyId) throw new QianfanConfigError(`${source}: the access key id is missing or empty`);
  if (!secretAccessKey) throw new QianfanConfigError(`${source}: the secret access key is missing or empty`);
  if (/[\s/]/.test(accessKeyId)) {
    throw new QianfanConfigError(`${source}: the access key id contains white space or '/'`);
  }
  return { accessKeyId, secretAccessKey };
}

/** Settings the official SDKs read from the environment, under the same names. */
export interface QianfanEnvSettings {
  credentials?: Credentials;
  baseUrl?: string;
}

/**
 * Reads `QIANFAN_ACCESS_KEY`, `QIANFAN_SECRET_KEY` and `QIANFAN_CONSOLE_API_BASE_URL` from an
 * environment object. A half-set pair is an error, never silently ignored.
 */
export function readQianfanEnv(env: Record<string, string | undefined>): QianfanEnvSettings {
  const accessKeyId = env.QIANFAN_ACCESS_KEY?.trim() || undefined;
  const secretAccessKey = env.QIANFAN_SECRET_KEY?.trim() || undefined;
  const baseUrl = env.QIANFAN_CONSOLE_API_BASE_URL?.trim() || undefined;
  if (baseUrl) checkBaseUrl(baseUrl, "QIANFAN_CONSOLE_API_BASE_URL");
  if (!accessKeyId && !secretAccessKey) return { baseUrl };
  if (!accessKeyId) throw new QianfanConfigError("QIANFAN_SECRET_KEY is set but QIANFAN_ACCESS_KEY is not");
  if (!secretAccessKey)
    throw new QianfanConfigError("QIANFAN_ACCESS_KEY is set but QIANFAN_SECRET_KEY is not");
  return {
    credentials: checkCredentials({ accessKeyId, secretAccessKey }, "QIANFAN_ACCESS_KEY/QIANFAN_SECRET_KEY"),
    baseUrl,
  };
}

/**
 * Checks that a base URL is an absolute http(s) URL with no user info, query or fragment. A
 * message never repeats what came after `//` when the URL might carry a password.
 */
export function checkBaseUrl(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const shown = value.includes("@") ? "the value" : `'${value}'`;
    throw new QianfanConfigError(`${source}: ${shown} is not a URL`);
  }
  if (url.username || url.password) {
    throw new QianfanConfigError(
      `${source}: a URL with user info (user:password@) is refused; keys go in QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new QianfanConfigError(`${source}: '${url.protocol}//${url.host}' must use http or https`);
  }
  if (url.search || url.hash)
    throw new QianfanConfigError(
      `${source}: '${url.origin}${url.pathname}' must not have a query or fragment`,
    );
  return url;
}
