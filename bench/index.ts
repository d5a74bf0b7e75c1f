import { benchClient } from "./client.bench";
import { benchSigning } from "./signing.bench";

const signing = benchSigning();
console.log(
  `signing: ours ${Math.round(signing.ours).toLocaleString("en")}/s, official Auth ${Math.round(signing.official).toLocaleString("en")}/s, ratio ${signing.ratio.toFixed(2)}×`,
);
const client = await benchClient();
console.log(
  `client: ${client.calls} calls in ${(client.wallMs / 1000).toFixed(2)} s (lower bound ${(client.lowerBoundMs / 1000).toFixed(1)} s, ${client.ratio.toFixed(3)}×), ${client.failures} failures, ${client.throttled} answered 429`,
);
