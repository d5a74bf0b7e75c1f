declare module "@baiducloud/sdk/src/auth.js" {
  export default class Auth {
    constructor(ak: string, sk: string);
    generateAuthorization(
      method: string,
      resource: string,
      params?: Record<string, unknown>,
      headers?: Record<string, unknown>,
      timestamp?: number,
      expirationInSeconds?: number,
      headersToSign?: string[],
    ): string;
  }
}

declare module "dynalite" {
  import type { Server } from "node:http";
  export default function dynalite(options?: {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    path?: string;
  }): Server;
}
