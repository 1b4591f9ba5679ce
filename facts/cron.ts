// The schedule grammar of a Kubernetes CronJob: five fields (minute, hour, day of month, month, day
// of week), each `*`, a number, a range `a-b`, a list `a,b`, and `/step` on `*` or a range
// (kubernetes pkg/controller/cronjob parses `spec.schedule` with robfig/cron/v3 `ParseStandard`).
// Names (JAN, MON) and macros (@daily) are left out: a schedule here is numeric.

const FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 6 },
] as const;

/** The values one field matches, or why it is malformed. */
function fieldValues(text: string, field: (typeof FIELDS)[number]): Set<number> | string {
    const values = new Set<number>();
    for (const part of text.split(",")) {
        const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (!match) return `${field.name} "${part}" is not *, a number, a range a-b or a list, with an optional /step`;
        const low = match[1] === "*" ? field.min : Number(match[2]);
        const high = match[1] === "*" ? field.max : match[3] !== undefined ? Number(match[3]) : match[4] ? field.max : low;
        const step = match[4] ? Number(match[4]) : 1;
        if (low < field.min || high > field.max || low > high || step < 1)
            return `${field.name} "${part}" is outside ${field.min}-${field.max}`;
        for (let value = low; value <= high; value += step) values.add(value);
    }
    return values;
}

/** A parsed schedule: the values each field matches. */
export interface CronSchedule {
    fields: Set<number>[];
}

/** Parses a five-field schedule; a string says why it is not one. */
export function parseCron(text: string): CronSchedule | string {
    const parts = text.trim().split(/\s+/);
    if (parts.length !== 5) return `has ${parts.length} fields; a schedule has 5 (minute hour day-of-month month day-of-week)`;
    const fields: Set<number>[] = [];
    for (const [index, part] of parts.entries()) {
        const values = fieldValues(part, FIELDS[index]);
        if (typeof values === "string") return values;
        fields.push(values);
    }
    return { fields };
}

/** Why `text` is not a schedule this project accepts, or undefined. */
export function cronProblem(text: string): string | undefined {
    const parsed = parseCron(text);
    return typeof parsed === "string" ? parsed : undefined;
}

/** Whether the schedule fires at `date` (UTC, to the minute); day of month and week as cron ORs them when both are restricted. */
function fires(schedule: CronSchedule, date: Date): boolean {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule.fields;
    const domRestricted = dayOfMonth.size < 31;
    const dowRestricted = dayOfWeek.size < 7;
    const domOk = dayOfMonth.has(date.getUTCDate());
    const dowOk = dayOfWeek.has(date.getUTCDay());
    const dayOk = domRestricted && dowRestricted ? domOk || dowOk : domOk && dowOk;
    return minute.has(date.getUTCMinutes()) && hour.has(date.getUTCHours()) && month.has(date.getUTCMonth() + 1) && dayOk;
}

/**
 * The longest time between two consecutive runs, in minutes, over the 400 days from `from`; a
 * schedule that runs less than twice in that window is answered with the window.
 */
export function longestGapMinutes(schedule: CronSchedule, from = Date.UTC(2027, 0, 1)): number {
    const minutes = 400 * 24 * 60;
    let longest = 0;
    let last: number | undefined;
    for (let minute = 0; minute < minutes; minute++) {
        if (!fires(schedule, new Date(from + minute * 60_000))) continue;
        if (last !== undefined) longest = Math.max(longest, minute - last);
        last = minute;
    }
    return longest === 0 ? minutes : longest;
}
