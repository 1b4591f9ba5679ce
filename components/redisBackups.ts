// Scheduled backups of the data-holding groups (render/backup.ts says what each is): one S3 bucket
// for the stack, a key that may only write backups, and per group a CronJob with its scripts.
// The key: kubeadm has no IAM roles for service accounts, and the node's instance role would let
// every pod on the node (IMDS hop limit 2) write the bucket; a dedicated IAM user's key in a
// Secret of the namespace, allowed only PutObject/GetObject under the prefix, is the narrowest grant.

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupConfig, InstanceConfig } from "../config/types";
import { PROJECT } from "../facts/project";
import {
    BACKUP_CREDENTIALS_SECRET,
    backupCronJobSpec,
    backupLabels,
    backupName,
    backupScriptFiles,
    backupWriterPolicy,
} from "../render/backup";

/** Arguments of `RedisBackups`. */
export interface RedisBackupsArgs {
    config: BackupConfig;
    /** The instances backed up (`config.instances`). */
    instances: InstanceConfig[];
    /** Namespace of the RedisFailovers. */
    namespace: string;
    /** Each instance's RedisFailover, which holds the Secret the take step reads the password from. */
    dependsOn: pulumi.Resource[];
    /** Stack name, for tags and the IAM user's name. */
    stack: string;
    kubernetesProvider: k8s.Provider;
}

/** The bucket: versioned, never public, encrypted by default, old backups expired. */
function createBucket(name: string, config: BackupConfig, tags: Record<string, string>, parent: pulumi.Resource): aws.s3.Bucket {
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: config.bucket, tags }, { parent, protect: true });
    new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        { parent },
    );
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, { parent });
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            rules: [
                {
                    applyServerSideEncryptionByDefault: config.kmsKeyId
                        ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: config.kmsKeyId }
                        : { sseAlgorithm: "AES256" },
                    bucketKeyEnabled: config.kmsKeyId !== undefined,
                },
            ],
        },
        { parent },
    );
    // Versioning keeps an overwritten or deleted backup as a noncurrent version: expired the same way.
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-retention`,
        {
            bucket: bucket.id,
            rules: [
                {
                    id: "expire-backups",
                    status: "Enabled",
                    filter: { prefix: config.prefix },
                    expiration: { days: config.retentionDays },
                    noncurrentVersionExpiration: { noncurrentDays: config.retentionDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
        },
        { parent },
    );
    return bucket;
}

/** The backup key and the Secret the upload step reads it from. */
function createCredentials(
    name: string,
    args: RedisBackupsArgs,
    bucket: aws.s3.Bucket,
    tags: Record<string, string>,
    parent: pulumi.Resource,
) {
    const user = new aws.iam.User(`${name}-writer`, { name: `${PROJECT}-${args.stack}-backup`, tags }, { parent });
    const kmsKeyArn = args.config.kmsKeyId ? aws.kms.getKeyOutput({ keyId: args.config.kmsKeyId }, { parent }).arn : undefined;
    new aws.iam.UserPolicy(
        `${name}-writer-policy`,
        {
            user: user.name,
            policy: pulumi.all([bucket.arn, kmsKeyArn]).apply(([arn, kms]) => backupWriterPolicy(arn, args.config.prefix, kms)),
        },
        { parent },
    );
    const key = new aws.iam.AccessKey(`${name}-writer-key`, { user: user.name }, { parent, additionalSecretOutputs: ["secret"] });
    const region = aws.getRegionOutput({}, { parent }).region;
    return new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
            metadata: { name: BACKUP_CREDENTIALS_SECRET, namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": PROJECT } },
            stringData: pulumi.secret({ AWS_ACCESS_KEY_ID: key.id, AWS_SECRET_ACCESS_KEY: key.secret, AWS_DEFAULT_REGION: region }),
        },
        { parent, provider: args.kubernetesProvider },
    );
}

/** The stack's backup bucket and key, and one CronJob per backed-up group. */
export class RedisBackups extends pulumi.ComponentResource {
    /** The bucket's name. */
    readonly bucket: pulumi.Output<string>;

    constructor(name: string, args: RedisBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:aws:RedisBackups", name, {}, opts);
        const tags = { "managed-by": PROJECT, stack: args.stack };
        const bucket = createBucket(name, args.config, tags, this);
        const credentials = createCredentials(name, args, bucket, tags, this);
        for (const instance of args.instances) {
            const metadata = { name: backupName(instance.name), namespace: args.namespace, labels: backupLabels(instance) };
            const scripts = new k8s.core.v1.ConfigMap(
                `${name}-${instance.purpose}-scripts`,
                { metadata, data: backupScriptFiles(args.config, instance, args.namespace) },
                { parent: this, provider: args.kubernetesProvider, dependsOn: args.dependsOn },
            );
            new k8s.batch.v1.CronJob(
                `${name}-${instance.purpose}`,
                { metadata, spec: backupCronJobSpec(args.config, instance) },
                { parent: this, provider: args.kubernetesProvider, dependsOn: [...args.dependsOn, scripts, credentials] },
            );
        }
        this.bucket = bucket.bucket;
        this.registerOutputs({ bucket: this.bucket });
    }
}
