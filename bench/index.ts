import { benchChatAck } from "./chat.bench";
import { benchClient } from "./client.bench";
import { benchLambda } from "./lambda.bench";
import { benchSigning } from "./signing.bench";

const signing = benchSigning();
console.log(
  `signing: ours ${Math.round(signing.ours).toLocaleString("en")}/s, official Auth ${Math.round(signing.official).toLocaleString("en")}/s, ratio ${signing.ratio.toFixed(2)}×`,
);
const client = await benchClient();
console.log(
  `client: ${client.calls} calls in ${(client.wallMs / 1000).toFixed(2)} s (lower bound ${(client.lowerBoundMs / 1000).toFixed(1)} s, ${client.ratio.toFixed(3)}×), ${client.failures} failures, ${client.throttled} answered 429`,
);
for (const r of await benchLambda()) {
  console.log(
    `lambda ${r.fn}: ${(r.bytes / 1024).toFixed(0)} KB minified (${(r.gzip / 1024).toFixed(0)} KB gzip), import ${r.importMs.toFixed(0)} ms (median of 5 cold processes)`,
  );
}
for (const r of await benchChatAck()) {
  console.log(
    `chat webhook ${r.platform}: ack p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (in-process, 2,000 fresh signed requests; goal p99 < 50 ms)`,
  );
}
