// The layers are kept by eslint (eslint.config.mjs): an import against them is refused, naming the
// rule, wherever it is added; the same import from a layer above is accepted.

import * as assert from "assert";
import { ESLint } from "eslint";
import * as path from "path";
import { PROJECT_DIR } from "../support/stacks";

async function restricted(file: string, source: string): Promise<string[]> {
    const eslint = new ESLint({ cwd: PROJECT_DIR });
    const [result] = await eslint.lintText(source, { filePath: path.join(PROJECT_DIR, file) });
    return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("facts: the layers, enforced", function () {
    this.timeout(60_000);

    it("refuses an import against the layers, naming what the folder may import", async () => {
        const probe = 'import { RedisFailover } from "../components/redisFailover";\nexport const used = RedisFailover;\n';
        const refused = await restricted("lab/layerProbe.ts", probe);
        assert.strictEqual(refused.length, 1, refused.join("\n"));
        assert.match(refused[0], /lab\/ may import only from its own folder, facts, config, front, render, health/);
        assert.deepStrictEqual(await restricted("bench/layerProbe.ts", probe), [], "the tools may import anything");
    });

    it("keeps each lower layer off the ones above it", async () => {
        const cases: Array<[string, string]> = [
            ["facts/layerProbe.ts", 'import { parseStackConfig } from "../config";'],
            ["config/schema/layerProbe.ts", 'import { renderFrontConfig } from "../../front/haproxyConfig";'],
            ["render/layerProbe.ts", 'import { RedisFailover } from "../components/redisFailover";'],
            ["health/layerProbe.ts", 'import { loadConfig } from "../config";'],
            ["components/layerProbe.ts", 'import { startGroup } from "../lab/redisLab";'],
        ];
        for (const [file, line] of cases) {
            const refused = await restricted(file, `${line}\nexport const used = 1;\n`);
            assert.strictEqual(refused.length, 1, `${file}: ${line}`);
        }
        assert.deepStrictEqual(
            await restricted("components/layerProbe.ts", 'import { redisUrl } from "../render/urls";\nexport const used = redisUrl;\n'),
            [],
        );
    });
});
