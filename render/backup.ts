// The scheduled backup of one data-holding group: a CronJob whose pod takes an RDB from a replica in
// sync (else the master) and checks it (scripts/redis-backup.sh, in the redis image), then uploads
// it to S3 encrypted (scripts/backup-upload.sh, in the aws-cli image); the IAM policy its key gets;
// the alert when no backup succeeded within two schedules. Pure.

import { BackupConfig, InstanceConfig } from "../config/types";
import { longestGapMinutes, parseCron } from "../facts/cron";
import { AUTH_SECRET_KEY, MASTER_NAME, SENTINEL_PORT, sentinelName } from "../facts/operator";
import { MANAGED_BY_LABEL, PROJECT, serviceHost } from "../facts/project";
import { authSecretName } from "./failover";
import { readScript, ScriptName } from "./nodeScripts";

/** The CronJob, its ConfigMap of scripts: `<failover>-backup`. */
export const backupName = (failover: string) => `${failover}-backup`;
/** The Secret holding the backup key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), one per namespace. */
export const BACKUP_CREDENTIALS_SECRET = `${PROJECT}-backup-credentials`;
/** Where a group's backups are: `<prefix><failover>/<UTC time>.rdb`. */
export const backupKeyPrefix = (backup: Pick<BackupConfig, "prefix">, failover: string) => `${backup.prefix}${failover}/`;

const TAKE_FILE = "take.sh";
const UPLOAD_FILE = "upload.sh";
const SCRIPTS_DIR = "/backup-scripts";
const BACKUP_FILE = "/backup/dump.rdb";
/** uid and gid of the redis image's `redis` user; the aws-cli image runs as them too (its HOME is /tmp). */
const BACKUP_UID = 999;

/** Where the take step finds Sentinel: the failover's Sentinel Service, or the lab's. */
export interface SentinelAt {
    host: string;
    port: number;
}

/** A script with its parameters as shell lines above its text (quoted only where a value needs it). */
function script(file: ScriptName, parameters: Record<string, string>): string {
    const body = readScript(file).replace(/^#!.*\n/, "");
    const lines = Object.entries(parameters).map(([name, value]) => `${name}=${shellQuote(value)}`);
    return `#!/bin/sh\n${lines.join("\n")}\n${body}`;
}

function shellQuote(value: string): string {
    return /^[A-Za-z0-9_./:@%+-]*$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** The take step for one failover, its parameters above the script. */
export function backupTakeScript(failover: string, sentinel: SentinelAt, backupFile = BACKUP_FILE): string {
    return script("redis-backup.sh", {
        SENTINEL_HOST: sentinel.host,
        SENTINEL_PORT: String(sentinel.port),
        MASTER_NAME,
        BACKUP_FILE: backupFile,
    });
}

/** The upload step for one failover. */
export function backupUploadScript(backup: BackupConfig, failover: string, backupFile = BACKUP_FILE): string {
    return script("backup-upload.sh", {
        BUCKET: backup.bucket,
        KEY_PREFIX: backupKeyPrefix(backup, failover),
        BACKUP_FILE: backupFile,
        KMS_KEY_ID: backup.kmsKeyId ?? "",
    });
}

/** The ConfigMap's files. */
export function backupScriptFiles(backup: BackupConfig, instance: InstanceConfig, namespace: string): Record<string, string> {
    const sentinel = { host: serviceHost(sentinelName(instance.name), namespace), port: SENTINEL_PORT };
    return { [TAKE_FILE]: backupTakeScript(instance.name, sentinel), [UPLOAD_FILE]: backupUploadScript(backup, instance.name) };
}

const hardened = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};

/**
 * The CronJob: one run at a time, a missed run started up to 10 minutes late, each run bounded to
 * 30 minutes and retried twice. The password and the key come from Secrets as environment, never
 * in arguments or logs; the pod has no API token and a read-only root.
 */
export function backupCronJobSpec(backup: BackupConfig, instance: InstanceConfig) {
    const volume = (name: string, mountPath: string, readOnly = false) => ({ name, mountPath, readOnly });
    return {
        schedule: backup.schedule,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
            spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: 1800,
                template: {
                    metadata: { labels: backupLabels(instance) },
                    spec: {
                        restartPolicy: "Never",
                        automountServiceAccountToken: false,
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: BACKUP_UID,
                            runAsGroup: BACKUP_UID,
                            fsGroup: BACKUP_UID,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        initContainers: [
                            {
                                name: "take",
                                image: backup.takeImage,
                                command: ["/bin/sh", `${SCRIPTS_DIR}/${TAKE_FILE}`],
                                env: [
                                    {
                                        name: "REDIS_PASSWORD",
                                        valueFrom: { secretKeyRef: { name: authSecretName(instance.name), key: AUTH_SECRET_KEY } },
                                    },
                                ],
                                securityContext: hardened,
                                volumeMounts: [volume("scripts", SCRIPTS_DIR, true), volume("backup", "/backup")],
                            },
                        ],
                        containers: [
                            {
                                name: "upload",
                                image: backup.uploadImage,
                                command: ["/bin/sh", `${SCRIPTS_DIR}/${UPLOAD_FILE}`],
                                env: [{ name: "HOME", value: "/tmp" }],
                                envFrom: [{ secretRef: { name: BACKUP_CREDENTIALS_SECRET } }],
                                securityContext: hardened,
                                volumeMounts: [
                                    volume("scripts", SCRIPTS_DIR, true),
                                    volume("backup", "/backup", true),
                                    volume("tmp", "/tmp"),
                                ],
                            },
                        ],
                        volumes: [
                            { name: "scripts", configMap: { name: backupName(instance.name) } },
                            { name: "backup", emptyDir: {} },
                            { name: "tmp", emptyDir: {} },
                        ],
                    },
                },
            },
        },
    };
}

/** The labels of a group's backup objects and pods. */
export function backupLabels(instance: Pick<InstanceConfig, "name" | "purpose">): Record<string, string> {
    return { [MANAGED_BY_LABEL]: PROJECT, purpose: instance.purpose, "app.kubernetes.io/component": "backup" };
}

/** The one thing the backup key may do: write objects under the prefix (and encrypt them with the KMS key). */
export function backupWriterPolicy(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            // head-object after the upload needs GetObject's permission (HeadObject has none of its own).
            { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${bucketArn}/${prefix}*` },
            ...(kmsKeyArn ? [{ Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: kmsKeyArn }] : []),
        ],
    });
}

/** Seconds after which a group without a successful backup alerts: two of the schedule's longest gaps. */
export function backupAlertAfterSeconds(schedule: string): number {
    const parsed = parseCron(schedule);
    if (typeof parsed === "string") throw new Error(`backup.schedule ${parsed}`);
    return 2 * longestGapMinutes(parsed) * 60;
}
