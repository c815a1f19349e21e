import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../policies";

const RULES = path.join(__dirname, "..", "rules");
const SOURCE = path.join(__dirname, "..", "..");

function camel(kebab: string): string {
    return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

describe("the policy pack", function () {
    it("has a valid name and a default level", function () {
        assert.match(PACK_NAME, /^[a-zA-Z0-9-_.]{1,100}$/);
        assert.strictEqual(PACK_ENFORCEMENT_LEVEL, "advisory");
    });

    it("sets these enforcement levels, in one place", function () {
        assert.deepStrictEqual(Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel])), {
            "enforce-quorum-queues": "mandatory",
            "disallow-untyped-queue-arguments": "mandatory",
            "enforce-cluster-replica-minimum": "mandatory",
            "enforce-quorum-group-size": "mandatory",
            "configure-poison-message-handling": "advisory",
            "disallow-guest-user": "mandatory",
            "disallow-plaintext-credentials": "mandatory",
            "disallow-unrestricted-permissions": "mandatory",
            "enforce-production-shape": "mandatory",
            "enforce-install-ordering": "mandatory",
            "enforce-pinned-rabbitmq-image": "mandatory",
            "disallow-classic-queue-mirroring": "mandatory",
            "enforce-durable-exchanges": "mandatory",
            "disallow-privileged-app-users": "mandatory",
        });
    });

    it("includes every rule file, one policy per file named after it", function () {
        // The sources, not bin/: a deleted rule must not survive as a stale compiled file.
        const files = fs
            .readdirSync(path.join(SOURCE, "rules"))
            .filter((f) => f.endsWith(".ts"))
            .map((f) => f.replace(/\.ts$/, ""));
        assert.deepStrictEqual([...files].sort(), policies.map((p) => camel(p.name)).sort());
        for (const f of files) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(path.join(RULES, f)) as Record<string, { name?: string }>;
            const exported = Object.entries(mod).filter(
                ([, v]) => typeof v === "object" && v?.name !== undefined,
            );
            assert.deepStrictEqual(
                exported.map(([k]) => k),
                [f],
                `${f} must export exactly one policy, named like the file`,
            );
        }
    });

    for (const p of policies) {
        describe(p.name, function () {
            it("is named <verb>-<what>", function () {
                assert.match(
                    p.name,
                    /^(enforce|disallow|configure|missing|enable|disable)-[a-z0-9]+(-[a-z0-9]+)*$/,
                );
                assert.notStrictEqual(p.name, "all");
            });

            it("has a description of full sentences", function () {
                assert.match(p.description, /^[A-Z][^\n]*[.!?]$/);
            });

            it("gives every config property a default and never configures enforcementLevel", function () {
                for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
                    assert.notStrictEqual(k, "enforcementLevel");
                    assert.ok("default" in schema, `${p.name}.${k} has no default`);
                    assert.ok(typeof schema.description === "string", `${p.name}.${k} has no description`);
                }
            });
        });
    }

    it("never branches on the stack name", function () {
        for (const dir of ["rules", "lib"]) {
            for (const f of fs.readdirSync(path.join(SOURCE, dir)).filter((x) => x.endsWith(".ts"))) {
                const text = fs.readFileSync(path.join(SOURCE, dir, f), "utf8");
                assert.doesNotMatch(text, /getStack\(|isDryRun\(/, `${dir}/${f}`);
            }
        }
    });
});
