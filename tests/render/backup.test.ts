// The backup as the prod plan has it (render/backup.ts, components/redisBackups.ts): a CronJob for
// auth whose upload goes to the stack's bucket encrypted, a bucket that keeps backups 35 days, and
// a key that may only write them. tests/full/backup.test.ts runs the same steps on a real group.

import * as assert from "assert";
import { ProgramRun } from "../../plan/mockRuntime";
import { planStack } from "../../plan/planStack";
import { backupAlertAfterSeconds } from "../../render/backup";

describe("render: the backup of a data-holding group", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    before(async () => {
        const result = await planStack("prod");
        assert.ok(result.ok);
        run = result.run;
    });
    const named = (name: string) => run.resources.find((r) => r.name === name)!;
    const at = (value: unknown, ...keys: Array<string | number>) =>
        keys.reduce<unknown>((current, key) => (current as Record<string | number, unknown>)?.[key], value);

    it("prod backs up auth only, on its schedule, one run at a time, after auth's RedisFailover", () => {
        const jobs = run.resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob");
        assert.deepStrictEqual(
            jobs.map((j) => at(j.inputs, "metadata", "name")),
            ["auth-redis-backup"],
        );
        const job = jobs[0];
        assert.strictEqual(at(job.inputs, "spec", "schedule"), "17 */6 * * *");
        assert.strictEqual(at(job.inputs, "spec", "concurrencyPolicy"), "Forbid");
        assert.ok(job.dependencies.includes(named("auth-redis-failover").urn));
    });

    it("uploads to the stack's bucket under the group's prefix with server-side encryption", () => {
        const scripts = at(named("redis-backup-auth-scripts").inputs, "data") as Record<string, string>;
        assert.match(scripts["upload.sh"], /^BUCKET=redis-ha-prod-backups$/m);
        assert.match(scripts["upload.sh"], /^KEY_PREFIX=redis\/auth-redis\/$/m);
        assert.match(scripts["upload.sh"], /--sse AES256/);
        assert.match(scripts["take.sh"], /^SENTINEL_HOST=rfs-auth-redis\.redis\.svc\.cluster\.local$/m);
        const encryption = named("redis-backup-encryption").inputs;
        assert.strictEqual(at(encryption, "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"), "AES256");
        const retention = named("redis-backup-retention").inputs;
        assert.strictEqual(at(retention, "rules", 0, "expiration", "days"), 35);
        assert.strictEqual(at(retention, "rules", 0, "noncurrentVersionExpiration", "noncurrentDays"), 35);
        assert.strictEqual(at(named("redis-backup-versioning").inputs, "versioningConfiguration", "status"), "Enabled");
        const block = named("redis-backup-public-access").inputs;
        for (const key of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
            assert.strictEqual(block[key], true, key);
        assert.strictEqual(named("redis-backup-bucket").protect, true, "the bucket outlives a destroy");
    });

    it("keeps the password and the key out of arguments: Secrets as environment, a hardened pod", () => {
        const pod = at(named("redis-backup-auth").inputs, "spec", "jobTemplate", "spec", "template", "spec") as Record<string, unknown>;
        const [take] = pod.initContainers as Array<Record<string, unknown>>;
        const [upload] = pod.containers as Array<Record<string, unknown>>;
        assert.deepStrictEqual(take.command, ["/bin/sh", "/backup-scripts/take.sh"]);
        assert.deepStrictEqual(at(take, "env", 0, "valueFrom", "secretKeyRef"), { name: "auth-redis-auth", key: "password" });
        assert.deepStrictEqual(at(upload, "envFrom", 0, "secretRef"), { name: "redis-ha-backup-credentials" });
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(at(pod, "securityContext", "runAsNonRoot"), true);
        for (const container of [take, upload]) {
            assert.strictEqual(at(container, "securityContext", "readOnlyRootFilesystem"), true);
            assert.deepStrictEqual(at(container, "securityContext", "capabilities", "drop"), ["ALL"]);
        }
        assert.strictEqual(at(named("redis-backup-credentials").inputs, "stringData"), "[secret]");
        const policy = JSON.parse(String(named("redis-backup-writer-policy").inputs.policy));
        assert.deepStrictEqual(policy.Statement, [
            { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "arn:aws:s3:::redis-ha-prod-backups/redis/*" },
        ]);
    });

    it("alerts when no backup succeeded within two schedules", () => {
        const rules = named("redis-alerts-rules").inputs;
        const auth = (at(rules, "spec", "groups") as Array<{ name: string; rules: Array<{ alert: string; expr: string }> }>).find(
            (g) => g.name === "redis-ha-auth-redis",
        )!;
        const alert = auth.rules.find((r) => r.alert === "RedisBackupMissing")!;
        assert.strictEqual(backupAlertAfterSeconds("17 */6 * * *"), 12 * 3600);
        assert.match(
            alert.expr,
            /time\(\) - kube_cronjob_status_last_successful_time\{namespace="redis",cronjob="auth-redis-backup"\} > 43200/,
        );
        assert.match(alert.expr, /unless on\(namespace, cronjob\)/);
    });
});
