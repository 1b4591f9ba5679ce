// The layers are kept by eslint (eslint.config.mjs): an import against them is refused, naming the
// rule, wherever it is added; the same import from a layer above is accepted.

import * as assert from "assert";
import { ESLint, Linter } from "eslint";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import tseslint from "typescript-eslint";
import { PROJECT_DIR } from "../support/stacks";

// The project's config lints the Pulumi folders with type information, which needs files on disk;
// the probes here are not, so they are linted with the project's layer rules alone.
// (A real import() of the ES module: TypeScript would turn a plain one into require().)
const importModule = new Function("file", "return import(file)") as (
    file: string,
) => Promise<{ default: Linter.Config[]; layerRules: Linter.Config[] }>;

async function restricted(file: string, source: string): Promise<string[]> {
    const { layerRules } = await importModule(path.join(PROJECT_DIR, "eslint.config.mjs"));
    const eslint = new ESLint({
        cwd: PROJECT_DIR,
        overrideConfigFile: true,
        overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, ...layerRules],
    });
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
            ["facts/layerProbe.ts", 'import { parseStackConfig } from "../config/parse";'],
            ["config/schema/layerProbe.ts", 'import { renderFrontConfig } from "../../front/haproxyConfig";'],
            ["render/layerProbe.ts", 'import { RedisFailover } from "../components/redisFailover";'],
            ["health/layerProbe.ts", 'import { loadConfig } from "../config/load";'],
            ["preflight/layerProbe.ts", 'import { RedisNode } from "../components/redisNode";'],
            ["components/layerProbe.ts", 'import { startGroup } from "../lab/redisLab";'],
            ["components/layerProbe.ts", 'import { redisHa } from "../program/redisHa";'],
            ["program/layerProbe.ts", 'import { planStack } from "../plan/planStack";'],
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

describe("facts: Pulumi's lint rules where outputs are handled", function () {
    this.timeout(60_000);

    it("the project's config holds the layer rules the probes above use", async () => {
        const config = await importModule(path.join(PROJECT_DIR, "eslint.config.mjs"));
        assert.ok(config.layerRules.length > 5 && config.layerRules.every((rule) => config.default.includes(rule)));
    });

    it("refuses an Output in a plain template literal in a component (@pulumi/eslint-plugin)", async () => {
        const eslint = new ESLint({ cwd: PROJECT_DIR });
        const probe = (expression: string) =>
            'import * as pulumi from "@pulumi/pulumi";\nconst name: pulumi.Output<string> = pulumi.output("a");\n' +
            `export const label = ${expression};\n`;
        // The text is linted as if it were this file's (type information needs a file of the project).
        const filePath = path.join(PROJECT_DIR, "components", "redisAlerts.ts");
        const rules = async (text: string) => (await eslint.lintText(text, { filePath }))[0].messages.map((m) => m.ruleId);
        assert.deepStrictEqual(await rules(probe("`node ${name}`")), ["@pulumi/no-output-in-template-literal"]);
        assert.deepStrictEqual(await rules(probe("pulumi.interpolate`node ${name}`")), []);
    });
});

describe("facts: components/ holds only what creates resources", () => {
    // What decides a manifest lives in render/ (pure, tested directly); a component file keeps its
    // ComponentResource, its args, and functions that create its children.
    it("has no constant and no function that creates nothing", () => {
        const dir = path.join(PROJECT_DIR, "components");
        const found: string[] = [];
        for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".ts"))) {
            const source = ts.createSourceFile(file, fs.readFileSync(path.join(dir, file), "utf8"), ts.ScriptTarget.Latest, true);
            found.push(...pureDeclarations(source).map((what) => `components/${file}: ${what}`));
        }
        assert.deepStrictEqual(found, []);
    });

    it("sees a pure function or a constant, and accepts one that creates a resource", () => {
        const source = ts.createSourceFile(
            "probe.ts",
            [
                "export const PORT = 1;",
                "export function name(x: string) { return `${x}-a`; }",
                "export function make(n: string) { return new k8s.core.v1.Service(n, {}); }",
                "export class Thing extends pulumi.ComponentResource {}",
                "export class Plain {}",
            ].join("\n"),
            ts.ScriptTarget.Latest,
            true,
        );
        assert.deepStrictEqual(pureDeclarations(source), ["PORT", "name", "Plain"]);
    });
});

/**
 * Top-level declarations of a component file that create no resource: a function creates one when
 * its body has a `new` or calls a function of the file that does.
 */
function pureDeclarations(source: ts.SourceFile): string[] {
    const functions = new Map(
        source.statements.filter(ts.isFunctionDeclaration).map((f) => [f.name?.getText(source) ?? "(anonymous function)", f]),
    );
    const creators = new Set<string>();
    const creates = (node: ts.Node): boolean =>
        ts.isNewExpression(node) ||
        (ts.isCallExpression(node) && creators.has(node.expression.getText(source))) ||
        ts.forEachChild(node, creates) === true;
    for (let grew = true; grew;) {
        grew = false;
        for (const [name, declaration] of functions) {
            if (!creators.has(name) && declaration.body && creates(declaration.body)) {
                creators.add(name);
                grew = true;
            }
        }
    }
    const found: string[] = [];
    for (const statement of source.statements) {
        if (ts.isVariableStatement(statement)) {
            found.push(...statement.declarationList.declarations.map((d) => d.name.getText(source)));
        } else if (ts.isFunctionDeclaration(statement) && !creators.has(statement.name?.getText(source) ?? "(anonymous function)")) {
            found.push(statement.name?.getText(source) ?? "(anonymous function)");
        } else if (ts.isClassDeclaration(statement)) {
            const base = statement.heritageClauses?.flatMap((clause) => clause.types.map((type) => type.expression.getText(source))) ?? [];
            if (!base.includes("pulumi.ComponentResource")) found.push(statement.name?.getText(source) ?? "(anonymous class)");
        }
    }
    return found;
}
