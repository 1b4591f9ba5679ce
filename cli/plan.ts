// `npm start` / `npm run plan`: what `pulumi up` of a stack would build, offline.

import * as fs from "fs";
import { formatPlan } from "../plan/format";
import { planDocument, planStack } from "../plan/planStack";
import { DEFAULT_ACCOUNT } from "../plan/simulatedAccount";
import { runCommand, UsageError, wholeNumber } from "./command";

const USAGE = `usage: npm run plan -- --stack NAME [--json FILE] [--config-file FILE] [--vcpu-quota N]

Runs the program under Pulumi's mock runtime with the config of Pulumi.NAME.yaml (or --config-file)
and prints the resources it would create and the stack outputs. Secrets print as [secret].
  --json FILE        also write the plan as JSON
  --vcpu-quota N     the simulated account's On-Demand vCPU quota (default ${DEFAULT_ACCOUNT.vcpuQuota})
Exit status: 0 planned, 1 invalid config or failed preflight (every problem listed), 2 bad usage.`;

runCommand(
    {
        name: "plan",
        usage: USAGE,
        options: {
            stack: { type: "string" },
            json: { type: "string" },
            "config-file": { type: "string" },
            "vcpu-quota": { type: "string" },
        },
    },
    async (flags) => {
        if (!flags.stack) {
            throw new UsageError("--stack NAME is required");
        }
        const vcpuQuota = wholeNumber("vcpu-quota", flags["vcpu-quota"], DEFAULT_ACCOUNT.vcpuQuota);
        const result = await planStack(flags.stack, flags["config-file"], { ...DEFAULT_ACCOUNT, vcpuQuota });
        if (!result.ok) {
            console.error(`Stack "${flags.stack}" cannot be deployed; nothing planned:`);
            for (const problem of result.problems) {
                console.error(`  - ${problem}`);
            }
            return 1;
        }
        console.log(formatPlan(result.stack, result.run));
        if (flags.json) {
            fs.writeFileSync(flags.json, `${JSON.stringify(planDocument(result.stack, result.run), null, 2)}\n`);
            console.log(`\nWrote ${flags.json}`);
        }
        console.log(`\nWall time: ${process.uptime().toFixed(2)} s`);
        return 0;
    },
);
