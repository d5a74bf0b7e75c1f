import Auth from "@baiducloud/sdk/src/auth.js";
import { signRequest } from "../lib/qianfan/signer";

/** Signing throughput of our bce-auth-v1 signer next to the official Auth class, in one run. */
export function benchSigning(iterations = 100_000): { ours: number; official: number; ratio: number } {
  const headers = {
    host: "qianfan.baidubce.com",
    "content-type": "application/json",
    "content-length": "76",
    "x-bce-date": "2025-01-02T03:04:05Z",
  };
  const headersToSign = ["content-length", "content-type", "host", "x-bce-date"];
  const ts = 1_735_787_045;
  const auth = new Auth("testAK0123456789", "testSK0123456789");
  const runOurs = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      signRequest({
        accessKeyId: "testAK0123456789",
        secretAccessKey: "testSK0123456789",
        method: "POST",
        path: "/v2/service",
        query: { Action: "ScaleService" },
        headers,
        timestamp: new Date((ts + (i % 60)) * 1000),
        headersToSign,
      });
    }
  };
  const runOfficial = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      auth.generateAuthorization(
        "POST",
        "/v2/service",
        { Action: "ScaleService" },
        headers,
        ts + (i % 60),
        1800,
        headersToSign,
      );
    }
  };
  const time = (fn: (n: number) => void) => {
    fn(iterations / 10);
    const start = performance.now();
    fn(iterations);
    return iterations / ((performance.now() - start) / 1000);
  };
  const official = time(runOfficial);
  const ours = time(runOurs);
  return { ours, official, ratio: ours / official };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchSigning();
  console.log(
    `signing: ours ${Math.round(r.ours).toLocaleString("en")}/s, official Auth ${Math.round(r.official).toLocaleString("en")}/s, ratio ${r.ratio.toFixed(2)}×`,
  );
}
