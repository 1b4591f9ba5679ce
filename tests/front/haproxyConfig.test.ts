import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FrontConfig, frontConnectionLimits, MASTER_GATE_FILE, renderFrontConfig } from "../../front/haproxyConfig";

const base: FrontConfig = {
    bind: { host: "127.0.0.1", port: 7000 },
    redis: {
        addresses: [
            { host: "10.0.0.1", port: 6379 },
            { host: "10.0.0.2", port: 6379 },
        ],
    },
    sentinels: { addresses: [{ host: "10.0.0.1", port: 26379 }] },
    masterName: "mymaster",
    passwordEnv: "REDIS_PASSWORD",
    gate: true,
    gateFile: MASTER_GATE_FILE,
};

const haproxy = spawnSync("haproxy", ["-v"]).status === 0;

describe("front: haproxy.cfg", () => {
    it("checks every redis server's ROLE for master, deciding on 14 bytes, authenticating from the environment, never with the password itself", () => {
        const config = renderFrontConfig(base);
        assert.match(config, /tcp-check send "AUTH \$\{REDIS_PASSWORD\}\\r\\n"/);
        assert.match(config, /tcp-check send ROLE\\r\\n\n {4}tcp-check expect min-recv 14 string \*3\\r\\n\$6\\r\\nmaster\n/);
        // 14 bytes are exactly the start of a master's reply to ROLE.
        assert.strictEqual("*3\r\n$6\r\nmaster".length, 14);
        assert.strictEqual(config.match(/^ {4}server redis\d /gm)?.length, 2);
        assert.match(config, /server redis1 10\.0\.0\.2:6379 check inter 1000ms fall 2 rise 1 on-marked-down shutdown-sessions weight 0/);
    });

    it("with the gate, starts every redis server unserved and loads the gate with the master name; without it, neither", () => {
        const gated = renderFrontConfig(base);
        assert.match(gated, /setenv GATE_MASTER_NAME mymaster/);
        assert.match(gated, new RegExp(`lua-load ${MASTER_GATE_FILE}`));
        const plain = renderFrontConfig({ ...base, gate: false });
        assert.doesNotMatch(plain, /lua-load|weight 0/);
    });

    it("finds servers in DNS with a resolvers section, one server-template per kind", () => {
        const config = renderFrontConfig({
            ...base,
            redis: { dns: { name: "r.redis.svc.cluster.local", port: 6379, count: 3 } },
            sentinels: { dns: { name: "s.redis.svc.cluster.local", port: 26379, count: 3 } },
        });
        assert.match(config, /^resolvers cluster\n {4}parse-resolv-conf/m);
        assert.match(
            config,
            /server-template redis 3 r\.redis\.svc\.cluster\.local:6379 resolvers cluster resolve-prefer ipv4 init-addr none check/,
        );
        assert.match(
            config,
            /server-template sentinel 3 s\.redis\.svc\.cluster\.local:26379 resolvers cluster resolve-prefer ipv4 init-addr none$/m,
        );
        // Every DNS error status keeps the last good address for an hour, not HAProxy's 30 s.
        for (const status of ["timeout", "refused", "nx", "other"]) assert.match(config, new RegExp(`\n {4}hold ${status} 1h\n`));
        assert.doesNotMatch(config, /hold valid/);
    });

    it("bounds connections and descriptors by the container's memory, and answers /ready only while a server is served", () => {
        const limits = frontConnectionLimits(128 * 1024 * 1024);
        // Half of 128 MiB at 36 KiB a connection, two descriptors each and some spare.
        assert.deepStrictEqual(limits, { maxconn: 1820, fdHardLimit: 3896 });
        assert.ok(frontConnectionLimits(1024 * 1024 * 1024).maxconn > limits.maxconn);
        const config = renderFrontConfig({ ...base, memoryLimitBytes: 128 * 1024 * 1024, monitor: { host: "0.0.0.0", port: 8404 } });
        assert.match(config, /\n {4}maxconn 1820\n {4}fd-hard-limit 3896\n/);
        assert.match(config, /frontend health\n {4}mode http\n {4}bind 0\.0\.0\.0:8404\n/);
        assert.match(config, /monitor-uri \/ready\n {4}monitor fail if \{ nbsrv\(redis\) lt 1 \}\n/);
        assert.match(config, /http-request return status 200 if \{ path \/alive \}/);
        assert.doesNotMatch(renderFrontConfig(base), /maxconn|frontend health/);
    });

    it("refuses a password variable HAProxy would not expand, a master name the gate cannot take, and no servers", () => {
        assert.throws(
            () => renderFrontConfig({ ...base, passwordEnv: "redis-password" }),
            /passwordEnv "redis-password" is not an environment variable name/,
        );
        assert.throws(() => renderFrontConfig({ ...base, masterName: "my master" }), /masterName "my master"/);
        assert.throws(() => renderFrontConfig({ ...base, sentinels: { addresses: [] } }), /no sentinels servers/);
    });

    (haproxy ? it : it.skip)("is a configuration Debian's haproxy accepts, gated and plain (haproxy -c)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-front-cfg-"));
        try {
            const cluster: FrontConfig = {
                ...base,
                redis: { dns: { name: "r.redis.svc.cluster.local", port: 6379, count: 3 } },
                sentinels: { dns: { name: "s.redis.svc.cluster.local", port: 26379, count: 3 } },
                monitor: { host: "0.0.0.0", port: 8404 },
                memoryLimitBytes: 128 * 1024 * 1024,
            };
            for (const [name, config] of [
                ["gated", base],
                ["plain", { ...base, gate: false }],
                ["cluster", cluster],
            ] as const) {
                const file = path.join(dir, `haproxy-${name}.cfg`);
                fs.writeFileSync(file, renderFrontConfig(config));
                const check = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8", env: { ...process.env, REDIS_PASSWORD: "x" } });
                assert.strictEqual(check.status, 0, check.stdout + check.stderr);
            }
            // And it refuses a broken one: the check is real.
            fs.writeFileSync(
                path.join(dir, "broken.cfg"),
                renderFrontConfig(base).replace("tcp-check expect string", "tcp-check expectt string"),
            );
            assert.notStrictEqual(spawnSync("haproxy", ["-c", "-f", path.join(dir, "broken.cfg")]).status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
