// The `front-serves-master` check: a new connection through each front of the group reaches the
// master the sentinels agree on. Pure, no I/O (the views come from `askFront` and `askRedis`).
//
// Why by run_id and not by address: the front and the sentinels name servers differently (a
// Service's DNS name, a pod IP, a lab port), but every redis-server process has its own `run_id`,
// so the server a front reached and the one the sentinels name are the same exactly when the
// run_ids are. `role:master` alone would pass a front that reaches the master of another group, or
// the demoted master of a split brain.

import { formatEndpoint as label } from "./connection";
import type { FrontView, RedisView } from "./probes";
import type { CheckResult } from "./report";

/** The first characters of a run_id: enough to tell servers apart in a message. */
export function shortRunId(runId: string | undefined): string {
    return runId === undefined ? "unknown" : `${runId.slice(0, 8)}…`;
}

/** What a failed connection through a front means, from its error. */
export function frontErrorMeaning(error: string): string {
    if (/ECONNREFUSED/.test(error)) return `refused: no front listens there (${error})`;
    // HAProxy accepts the connection and closes it when no server is usable: the gate has closed
    // every server (it hears no majority of sentinels) or every server fails its role check.
    if (/Connection is closed|ECONNRESET|EPIPE/.test(error)) {
        return `closed: the front serves nothing (its gate hears no sentinel majority?) (${error})`;
    }
    if (/WRONGPASS|NOAUTH|invalid password/i.test(error)) return `authentication failed (${error})`;
    // The kernel accepts connections for a stopped process: a hang shows as a timeout, not a refusal.
    if (/timed out|no answer within|ETIMEDOUT/.test(error)) return `gave no answer: the front, or the server behind it, hangs (${error})`;
    return error;
}

/** What one front led to that is not the master, or undefined when it reached the master. */
function frontProblem(view: FrontView, master: { address: string; runId: string }): string | undefined {
    if (view.error !== undefined) return `${view.name} ${frontErrorMeaning(view.error)}`;
    if (view.role === "slave") return `${view.name} reached a replica (run_id ${shortRunId(view.runId)})`;
    if (view.role !== "master") return `${view.name} reached a server of role ${view.role ?? "unknown"}`;
    if (view.runId !== master.runId) {
        return `${view.name} reached run_id ${shortRunId(view.runId)} not the master's (${master.address}, run_id ${shortRunId(master.runId)})`;
    }
    return undefined;
}

/**
 * Every front answers, through a new connection, from the master the sentinels agree on (`agreed`,
 * `host:port`, undefined when they do not agree): `role:master` and the run_id that the master
 * itself reports (its view among `redis`).
 */
export function frontServesMaster(fronts: FrontView[], agreed: string | undefined, redis: RedisView[]): CheckResult {
    const fail = (detail: string): CheckResult => ({ name: "front-serves-master", ok: false, detail });
    if (fronts.length === 0) return fail("no front to connect to");
    const runId = redis.find((view) => label(view.address) === agreed)?.runId;
    if (agreed === undefined || runId === undefined) {
        const why = agreed === undefined ? "the sentinels agree on no master" : `the master ${agreed} did not tell its run_id`;
        const seen = fronts.map((v) =>
            v.error !== undefined ? `${v.name} ${frontErrorMeaning(v.error)}` : `${v.name} reached run_id ${shortRunId(v.runId)}`,
        );
        return fail(`not compared: ${why}; ${seen.join("; ")}`);
    }
    const problems = fronts.map((view) => frontProblem(view, { address: agreed, runId })).filter((p) => p !== undefined);
    if (problems.length > 0) return fail(problems.join("; "));
    const names = fronts.map((view) => view.name).join(", ");
    return {
        name: "front-serves-master",
        ok: true,
        detail: `${names} ${fronts.length === 1 ? "reaches" : "reach"} the master ${agreed} (run_id ${shortRunId(runId)})`,
    };
}
