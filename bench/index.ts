import { benchChatAck } from "./chat.bench";
import { benchClient } from "./client.bench";
import { benchLambda, lambdaLines } from "./lambda.bench";
import { benchSigning } from "./signing.bench";

const signing = benchSigning();
console.log(
  `signing: ours ${Math.round(signing.ours).toLocaleString("en")}/s, official Auth ${Math.round(signing.official).toLocaleString("en")}/s, ratio ${signing.ratio.toFixed(2)}×`,
);
const client = await benchClient();
console.log(
  `client: ${client.calls} calls in ${(client.wallMs / 1000).toFixed(2)} s (lower bound ${(client.lowerBoundMs / 1000).toFixed(1)} s, ${client.ratio.toFixed(3)}×), ${client.failures} failures, ${client.throttled} answered 429`,
);
for (const line of lambdaLines(await benchLambda())) console.log(line);
for (const r of await benchChatAck()) {
  console.log(
    `chat webhook ${r.platform}: ack p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (in-process, 2,000 fresh signed requests; goal p99 < 50 ms)`,
  );
}
