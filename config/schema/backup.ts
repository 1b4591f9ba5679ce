// `backup`: scheduled RDB backups of the instances that hold data, to one S3 bucket of the stack.

import { z } from "zod";
import { cronProblem } from "../../facts/cron";
import { imageReferenceProblem, kmsKeyProblem, s3BucketProblem, s3PrefixProblem } from "../../facts/patterns";
import { grammar, int, strict } from "./common";

/** The redis image the operator runs when a RedisFailover names none (api/redisfailover/v1/defaults.go `defaultImage`). */
export const BACKUP_TAKE_IMAGE = "redis:6.2.6-alpine";
/** AWS CLI v2, pinned (Docker Hub amazon/aws-cli). */
export const BACKUP_UPLOAD_IMAGE = "amazon/aws-cli:2.15.50";

export const backupSchema = strict({
    // Created by the program: versioned, public access blocked, encrypted, expiring old backups.
    bucket: grammar(s3BucketProblem),
    prefix: grammar(s3PrefixProblem).default("redis/"),
    // Every 6 hours at minute 17 (UTC, the controller manager's zone) unless set.
    schedule: grammar(cronProblem).default("17 */6 * * *"),
    retentionDays: int(1, 3650).default(35),
    // SSE-KMS with this key; SSE-S3 (AES256) when absent.
    kmsKeyId: grammar(kmsKeyProblem).optional(),
    // Default: every instance that holds data (checked in crossRules: only those may be listed).
    instances: z.array(grammar()).optional(),
    takeImage: grammar(imageReferenceProblem).default(BACKUP_TAKE_IMAGE),
    uploadImage: grammar(imageReferenceProblem).default(BACKUP_UPLOAD_IMAGE),
}).optional();
