import type { Decision } from "./types";

/** The notice part of what a job remembers about a resource. */
export interface NoticeMark {
  noticeGivenAt?: string;
  noticeDueAt?: string;
}

/**
 * Mark, then act (Custodian's mark-for-op, kube-janitor's notice): turns an `act` decision into an
 * announcement the first time, a wait while the notice runs, and the action once it is due — and
 * only while the resource still qualifies, since the planner calls this only for one that does.
 * `verb` words the announcement: "released", "stopped".
 */
export function applyNotice<A>(
  act: Decision<A>,
  previous: NoticeMark,
  noticeForMs: number,
  now: Date,
  at: (date: Date) => string,
  verb: string,
): { decision: Decision<A>; notice: NoticeMark } {
  const due = previous.noticeDueAt ? new Date(previous.noticeDueAt) : undefined;
  if (!due || Number.isNaN(due.getTime())) {
    const dueAt = new Date(now.getTime() + noticeForMs);
    return {
      decision: {
        ...act,
        verdict: "notice",
        action: undefined,
        dueAt: dueAt.toISOString(),
        reason: `${act.reason}; will be ${verb} at ${at(dueAt)} unless snoozed`,
      },
      notice: { noticeGivenAt: now.toISOString(), noticeDueAt: dueAt.toISOString() },
    };
  }
  const notice = { noticeGivenAt: previous.noticeGivenAt, noticeDueAt: previous.noticeDueAt };
  if (due.getTime() > now.getTime()) {
    return {
      decision: {
        resourceId: act.resourceId,
        label: act.label,
        verdict: "keep",
        rule: "notice-pending",
        reason: `${act.reason}; announced, will be ${verb} at ${at(due)} unless snoozed`,
        dueAt: due.toISOString(),
      },
      notice,
    };
  }
  const announced = previous.noticeGivenAt ? ` (announced at ${at(new Date(previous.noticeGivenAt))})` : "";
  return { decision: { ...act, reason: `${act.reason}${announced}` }, notice };
}

/** What a dry run may remember of a mark: what it observed, never a notice it did not give. */
export function withoutNewNotice<M extends NoticeMark>(mark: M, before: NoticeMark | undefined): M {
  return { ...mark, noticeGivenAt: before?.noticeGivenAt, noticeDueAt: before?.noticeDueAt };
}
