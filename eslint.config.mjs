// ESLint flat config: typescript-eslint strict rules, Pulumi's output-in-template checks, mocha hygiene.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";
import mocha from "eslint-plugin-mocha";

export default tseslint.config(
    { ignores: ["bin/**", "node_modules/**", "policies/bin/**", "policies/node_modules/**", ".brokers/**"] },
    ...tseslint.configs.recommended,
    {
        // The rig's check program is CommonJS that Pulumi's host runs as it is (no build step).
        files: ["test/deploy/fixtures/**/*.js"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["**/*.ts"],
        plugins: { "@pulumi": pulumi },
        // Pulumi's rules need type information (they look for Output values in template literals).
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            curly: "error",
            eqeqeq: "error",
            "prefer-const": "error",
            "default-case": "error",
            "no-console": "off",
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            "no-restricted-imports": [
                "error",
                {
                    paths: [
                        {
                            name: "@pulumi/kubernetes",
                            message:
                                "Import the API group module instead (e.g. @pulumi/kubernetes/core/v1): the package root loads every group, about 90 ms of every preview.",
                        },
                        {
                            name: "@pulumi/kubernetes/helm/v3",
                            message:
                                "Import @pulumi/kubernetes/helm/v3/release: the group module also loads the legacy Chart and YAML code (100-200 ms).",
                        },
                    ],
                },
            ],
        },
    },
    {
        // Plain CommonJS helpers (mocha reporter, CI count summary) run without compilation.
        files: ["scripts/**/*.js"],
        languageOptions: { sourceType: "commonjs" },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["test/**/*.ts", "policies/test/**/*.ts"],
        ...mocha.configs.recommended,
        rules: {
            ...mocha.configs.recommended.rules,
            "mocha/no-mocha-arrows": "error",
            "mocha/no-exclusive-tests": "error",
            "mocha/no-setup-in-describe": "off",
        },
    },
);
