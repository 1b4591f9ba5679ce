// Lint rules: eslint's and typescript-eslint's recommended sets, run by `npm test`.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

// The layers (README, "Layout"), lowest first: facts → config → render (front/, render/: pure
// manifests, commands, URLs, HAProxy config) → preflight (look-ups before anything is created) →
// components → the program (program/, index.ts); health ← providers; the tools (cli, plan, lab,
// bench) on top. Each folder may import only from the folders this table allows it; a forbidden
// import names the layer it would break.
const FOLDERS = [
    ...["facts", "config", "front", "render", "preflight", "health", "providers", "components", "program"],
    ...["policy", "lab", "cli", "plan", "bench"],
];
const MAY_IMPORT = {
    facts: [],
    config: ["facts"],
    front: ["facts", "config", "render"],
    render: ["facts", "config", "front"],
    health: ["facts"],
    providers: ["facts", "config", "health"],
    preflight: ["facts", "config", "render"],
    components: ["facts", "config", "front", "render", "preflight", "health", "providers"],
    program: ["facts", "config", "front", "render", "preflight", "health", "providers", "components"],
    policy: ["facts", "config"],
    lab: ["facts", "config", "front", "render", "health"],
};
/** The layer rules alone (tests/facts/layers.test.ts lints probes with them, without type information). */
export const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => {
    const forbidden = FOLDERS.filter((other) => other !== folder && !allowed.includes(other));
    return {
        files: [`${folder}/**/*.ts`],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: forbidden.map((other) => ({
                        group: [`../${other}`, `../${other}/*`, `../../${other}`, `../../${other}/*`, "../index", "../../index"],
                        message: `${folder}/ may import only from ${["its own folder", ...allowed].join(", ")} (the layers in eslint.config.mjs)`,
                    })),
                },
            ],
        },
    };
});

export default tseslint.config(
    { ignores: ["node_modules/", ".lab/", ".scratch/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    ...layerRules,
    // Where Pulumi outputs are handled: an Output in a plain template literal prints as a warning
    // text instead of its value (pulumi.interpolate or apply is meant). The rules need types.
    {
        files: ["index.ts", "program/**/*.ts", "components/**/*.ts", "providers/**/*.ts", "preflight/**/*.ts"],
        plugins: { "@pulumi": pulumi },
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
    {
        rules: {
            // `_name` marks a parameter a signature needs but the body does not use.
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
);
