import type { PermissionsProps } from "../../lib/types";
import { disallowUnrestrictedPermissions } from "../../rules/disallowUnrestrictedPermissions";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("disallow-unrestricted-permissions", function () {
    const policy = disallowUnrestrictedPermissions;
    function grant(configure: string, write: string, read: string) {
        const r = find(happyStack(), T.permissions, "documento-consumer");
        inputsOf<PermissionsProps>(r).permissions = { configure, write, read };
        return r;
    }

    it("passes least-privilege permissions", async function () {
        assertViolations(
            await runResourcePolicy(policy, find(happyStack(), T.permissions, "documento-consumer")),
            [],
        );
    });

    it("passes match-all on two of the three", async function () {
        assertViolations(await runResourcePolicy(policy, grant("^$", ".*", ".*")), []);
    });

    it("fails match-all on configure, write and read together", async function () {
        assertViolations(await runResourcePolicy(policy, grant(".*", ".*", "^.*$")), [
            'Permissions "documento-consumer" give user "documento-consumer" configure ".*", write ".*" and read "^.*$" on vhost "/carpeta"; application users must not match every resource on all three. Restrict at least one pattern to the user\'s own queues and exchanges (for example ^orders\\.).',
        ]);
    });

    it("allows users exempted in config", async function () {
        assertViolations(
            await runResourcePolicy(policy, grant(".*", ".*", ".*"), { exemptUsers: ["documento-consumer"] }),
            [],
        );
    });
});
