/**
 * Every repository path the README, docs/ and the stack files name exists: relative links, and paths written in
 * the text (`docs/kind.yaml`, `scripts/brokers.sh`, `test/...`). A renamed or never-written file fails here
 * rather than in a reader's first hour. Build output (bin/) and patterns (`Pulumi.<stack>.yaml`) are not paths.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parsePlatformConfig } from "../lib/config";
import { projectRoot } from "../lib/project";
import { loadStackConfig } from "../lib/stackConfig";
import { readYamlFile } from "../lib/yaml";

const ROOT = projectRoot();

/** The documents a reader of a clone starts from, relative to the root. */
function documents(): string[] {
    const docs = fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`);
    return ["README.md", "policies/README.md", ...docs, "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"];
}

/**
 * Paths in running text: under a top-level folder of the repository, or one of its root files. A path that goes on
 * into a pattern (`<stack>`, `*`, `{a,b}`) is a pattern, not a path.
 */
const TEXT_PATH =
    /(?<![\w./<-])((?:\.github|\.ci|docs|scripts|test|tools|lib|components|policies)\/[\w./-]*\w|Pulumi(?:\.[a-z]+)?\.yaml|topology\.yaml|BENCHMARKS\.md|package\.json|tsconfig\.json|index\.ts|config\.ts)(?![\w<*{]|\.<)/g;
/** Markdown links to something other than a URL or an anchor of the same page; relative to the document. */
const LINK = /\]\(([^)#:\s]+)(?:#[^)]*)?\)/g;

/** Build output (`bin/`, `policies/bin`): named by the docs, absent from a clone until the first build. */
const BUILD_OUTPUT = /(^|\/)bin(\/|$)/;

/** The paths a document names that do not exist, as `document: path`. */
function missingPaths(document: string, text: string): string[] {
    const missing: string[] = [];
    for (const [, p] of text.matchAll(TEXT_PATH)) {
        if (!BUILD_OUTPUT.test(p) && !fs.existsSync(path.join(ROOT, p))) {
            missing.push(`${document}: ${p}`);
        }
    }
    for (const [, p] of text.matchAll(LINK)) {
        if (!fs.existsSync(path.join(ROOT, path.dirname(document), p))) {
            missing.push(`${document}: ${p}`);
        }
    }
    return missing;
}

describe("paths the documentation and stack files name", function () {
    it("all exist in the repository", function () {
        const missing = documents().flatMap((d) =>
            missingPaths(d, fs.readFileSync(path.join(ROOT, d), "utf8")),
        );
        assert.deepStrictEqual(missing, []);
    });

    it("finds a missing file in text and in links, and leaves patterns and URLs alone", function () {
        const text =
            "See docs/nowhere.md and [the runbook](runbook.md), [gone](gone.md#x), `Pulumi.<stack>.yaml`, " +
            "policies/config.<stack>.json, scripts/*.sh, bin/index.js, policies/bin/nothing.js, " +
            "[site](https://example.test/a.md) and " +
            "docs/kind.yaml.";
        assert.deepStrictEqual(missingPaths("docs/x.md", text), [
            "docs/x.md: docs/nowhere.md",
            "docs/x.md: gone.md",
        ]);
    });

    it("has the kind cluster map the dev stack's management node port to the same host port", function () {
        const kind = readYamlFile(path.join(ROOT, "docs", "kind.yaml")) as {
            nodes: { extraPortMappings?: unknown }[];
        };
        const dev = parsePlatformConfig(loadStackConfig(ROOT, "dev").config);
        assert.deepStrictEqual([dev.managementNodePort, dev.managementNodeAddress], [31672, "127.0.0.1"]);
        assert.deepStrictEqual(
            kind.nodes.map((n) => n.extraPortMappings),
            [[{ containerPort: 31672, hostPort: 31672, listenAddress: "127.0.0.1", protocol: "TCP" }]],
        );
    });
});
