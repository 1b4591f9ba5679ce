// The URL applications are given for one logical database of a group.

import { REDIS_USER } from "../facts/operator";

/**
 * A `redis://` URL for one logical database, user `default`, the password URL-encoded. The user is
 * spelled out: with `redis://:<password>@`, redis-cli 7 sends `AUTH "" <password>` and gets
 * WRONGPASS; `default:` works in redis-cli, redis-py, Celery and ioredis (tests/full/clients.test.ts).
 */
export function redisUrl(password: string, masterEndpoint: string, db: number): string {
    return `redis://${REDIS_USER}:${encodeURIComponent(password)}@${masterEndpoint}/${db}`;
}
