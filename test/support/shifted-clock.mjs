// Moves this process's wall clock by QFHK_TEST_CLOCK_SHIFT_DAYS (CI's second pass: the suite must
// pass on any date). Loaded with `node --import`, so child processes the tests start move too.
//
// A machine whose clock is moved stamps its files with the moved time as well, so file times are
// moved with it: what fs reports (stat) is shifted forward and what is set (utimes) shifted back.
// Without that, a lock file's age (proper-lockfile) would read as 1,200 days. Monotonic time
// (performance.now) and timers are left alone.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const days = Number(process.env.QFHK_TEST_CLOCK_SHIFT_DAYS ?? "0");
if (!Number.isFinite(days)) {
  throw new Error(`QFHK_TEST_CLOCK_SHIFT_DAYS is not a number: ${process.env.QFHK_TEST_CLOCK_SHIFT_DAYS}`);
}
if (days !== 0 && !globalThis.__qfhkShiftedClock) {
  const offset = days * 86_400_000;
  const RealDate = Date;
  // Reflect.construct keeps subclasses working (date-fns' TZDate extends Date).
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(RealDate.now() + offset).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [RealDate.now() + offset] : args, new.target);
  }
  Object.setPrototypeOf(ShiftedDate, RealDate);
  ShiftedDate.prototype = RealDate.prototype;
  ShiftedDate.now = () => RealDate.now() + offset;
  globalThis.Date = ShiftedDate;
  globalThis.__qfhkShiftedClock = offset;
  shiftFileTimes(offset, RealDate);
}

function shiftFileTimes(offset, RealDate) {
  const shiftStats = (stats) => {
    if (!stats || typeof stats.mtimeMs !== "number") return stats;
    for (const name of ["atime", "mtime", "ctime", "birthtime"]) {
      const ms = stats[`${name}Ms`] + offset;
      Object.defineProperty(stats, `${name}Ms`, {
        value: ms,
        writable: true,
        configurable: true,
        enumerable: true,
      });
      Object.defineProperty(stats, name, {
        value: new RealDate(ms),
        writable: true,
        configurable: true,
        enumerable: true,
      });
    }
    return stats;
  };
  const back = (time) => {
    if (time instanceof RealDate) return new RealDate(time.getTime() - offset);
    if (typeof time === "number") return time - offset / 1000;
    return time;
  };
  for (const name of ["stat", "lstat", "fstat"]) {
    const original = fs[name];
    fs[name] = (target, options, callback) => {
      const cb = typeof options === "function" ? options : callback;
      const opts = typeof options === "function" ? undefined : options;
      return original.call(fs, target, opts ?? {}, (error, stats) =>
        cb(error, error ? stats : shiftStats(stats)),
      );
    };
    const sync = fs[`${name}Sync`];
    fs[`${name}Sync`] = (...args) => shiftStats(sync.apply(fs, args));
    const promised = fs.promises[name];
    if (promised) fs.promises[name] = async (...args) => shiftStats(await promised.apply(fs.promises, args));
  }
  for (const name of ["utimes", "lutimes", "futimes"]) {
    const original = fs[name];
    if (!original) continue;
    fs[name] = (target, atime, mtime, callback) =>
      original.call(fs, target, back(atime), back(mtime), callback);
    const sync = fs[`${name}Sync`];
    fs[`${name}Sync`] = (target, atime, mtime) => sync.call(fs, target, back(atime), back(mtime));
    const promised = fs.promises[name];
    if (promised)
      fs.promises[name] = (target, atime, mtime) =>
        promised.call(fs.promises, target, back(atime), back(mtime));
  }
  syncBuiltinESMExports();
}
