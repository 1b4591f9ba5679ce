#!/bin/sh
# The second step of a group's backup Job (render/backup.ts), in the aws-cli image: uploads the RDB
# the first step took and checked (scripts/redis-backup.sh) to S3 with server-side encryption, under
# `<prefix><failover>/<UTC time>.rdb`, and confirms S3 holds every byte. POSIX sh.
# Parameters (lines rendered above this script): BUCKET, KEY_PREFIX, BACKUP_FILE, KMS_KEY_ID (empty:
# SSE-S3, AES256). Environment: AWS credentials and region from the backup Secret; S3_ENDPOINT only
# in the lab (an S3-compatible server on 127.0.0.1).
set -eu

log() { echo "[backup-upload] $*"; }
aws_s3() { if [ -n "${S3_ENDPOINT:-}" ]; then aws --endpoint-url "$S3_ENDPOINT" "$@"; else aws "$@"; fi; }

[ -s "$BACKUP_FILE" ] || { log "no RDB at $BACKUP_FILE: the first step did not finish"; exit 1; }
key="${KEY_PREFIX}$(date -u +%Y%m%dT%H%M%SZ).rdb"
if [ -n "$KMS_KEY_ID" ]; then
    set -- --sse aws:kms --sse-kms-key-id "$KMS_KEY_ID"
else
    set -- --sse AES256
fi
aws_s3 s3 cp --only-show-errors "$@" "$BACKUP_FILE" "s3://$BUCKET/$key"
size="$(wc -c <"$BACKUP_FILE" | tr -d ' ')"
stored="$(aws_s3 s3api head-object --bucket "$BUCKET" --key "$key" --query ContentLength --output text)"
[ "$stored" = "$size" ] || { log "s3://$BUCKET/$key holds $stored bytes, not $size"; exit 1; }
log "uploaded s3://$BUCKET/$key ($size bytes)"
