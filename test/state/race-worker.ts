// One of two processes racing for the same lock in the same state file; prints the intervals it held it.
import { FileStateStore } from "../../lib/state";

const [path, owner, rounds] = process.argv.slice(2);
const store = new FileStateStore(path!);
const held: Array<[number, number]> = [];
for (let i = 0; i < Number(rounds); i += 1) {
  const me = `${owner}-${i}`;
  for (;;) {
    const lock = await store.acquireLock("job:race", me, 60_000, new Date());
    if (lock.acquired) break;
    await new Promise((r) => setTimeout(r, Math.random() * 3));
  }
  const start = performance.timeOrigin + performance.now();
  await new Promise((r) => setTimeout(r, 2));
  const end = performance.timeOrigin + performance.now();
  held.push([start, end]);
  await store.releaseLock("job:race", me);
}
process.stdout.write(JSON.stringify(held));
