/**
 * `node bin/tools/bundle.js` (the last step of `npm run build`): replaces tsc's bin/index.js, the `main` of
 * Pulumi.yaml, with one file holding the program and every module of this repository it imports, plus the parts of
 * valibot its schemas use.
 *
 * Every preview loads the program cold. Module by module that meant 20 files of ours to resolve, read and compile,
 * and all of valibot's 213 KB CommonJS build for the 30-odd functions the schemas call: together about 10 ms of a
 * 170 ms prod plan (BENCHMARKS.md, "Abstraction cost"). Every other package stays a `require`: the @pulumi packages
 * must be the instances Pulumi's language host loaded (one runtime, and each provider finds its plugin version in
 * its own package.json), and js-yaml is loaded by @pulumi/pulumi anyway.
 */
import * as fs from "fs";
import * as path from "path";
import { build, Message } from "esbuild";
import { projectRoot } from "../lib/project";

/** Packages compiled into the bundle; everything else in package.json is left to `require`. */
export const INLINED_PACKAGES = ["valibot"];

/**
 * What the bundle must not contain: a file that is neither this repository's own source nor part of an inlined
 * package. A second copy of @pulumi/pulumi inside the program would register resources with a runtime nobody runs.
 */
export function unexpectedInputs(inputs: readonly string[]): string[] {
    return inputs.filter((file) => {
        const parts = file.split("/");
        const at = parts.lastIndexOf("node_modules");
        if (at === -1) {
            return false;
        }
        const name = parts[at + 1]?.startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
        return !INLINED_PACKAGES.includes(name);
    });
}

function formatMessages(kind: string, messages: readonly Message[]): string[] {
    return messages.map((m) => {
        const where = m.location === null ? "" : `${m.location.file}:${m.location.line}: `;
        return `${kind}: ${where}${m.text}`;
    });
}

async function main(): Promise<void> {
    const root = projectRoot();
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
    };
    const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter(
        (name) => !INLINED_PACKAGES.includes(name),
    );
    const result = await build({
        absWorkingDir: root,
        entryPoints: ["index.ts"],
        outfile: "bin/index.js",
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: true,
        sourcesContent: false,
        external,
        metafile: true,
        logLevel: "silent",
    });
    const problems = [
        ...formatMessages("warning", result.warnings),
        ...unexpectedInputs(Object.keys(result.metafile.inputs)).map(
            (file) =>
                `error: ${file} was compiled into the program; only ${INLINED_PACKAGES.join(", ")} may be. ` +
                "Fix: add its package to package.json so that it stays a require",
        ),
    ];
    if (problems.length > 0) {
        throw new Error(problems.join("\n"));
    }
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exitCode = 1;
    });
}
