// One of several processes racing for the same lock in the same state file. Prints the intervals
// in which it held the lock, and whether it gave up waiting (a lost release would block for good).
import { FileStateStore } from "../../lib/state";

const [path, owner, rounds, giveUpMs] = process.argv.slice(2);
const store = new FileStateStore(path!);
const deadline = Date.now() + Number(giveUpMs ?? 8000);
const held: Array<[number, number]> = [];
let gaveUp = false;
attempts: for (let i = 0; i < Number(rounds); i += 1) {
  const me = `${owner}-${i}`;
  for (;;) {
    const lock = await store.acquireLock("job:race", me, 60_000, new Date());
    if (lock.acquired) break;
    if (Date.now() > deadline) {
      gaveUp = true;
      break attempts;
    }
    await new Promise((r) => setTimeout(r, Math.random() * 3));
  }
  const start = performance.timeOrigin + performance.now();
  await new Promise((r) => setTimeout(r, 2));
  const end = performance.timeOrigin + performance.now();
  held.push([start, end]);
  await store.releaseLock("job:race", me);
}
process.stdout.write(JSON.stringify({ held, gaveUp }));
