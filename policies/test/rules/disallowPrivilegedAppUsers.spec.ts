import type { UserProps } from "../../lib/types";
import { disallowPrivilegedAppUsers } from "../../rules/disallowPrivilegedAppUsers";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("disallow-privileged-app-users", function () {
    const policy = disallowPrivilegedAppUsers;
    function user(tags: string[]) {
        const r = find(happyStack(), T.user, "documento-consumer");
        inputsOf<UserProps>(r).tags = tags;
        return r;
    }

    it("passes a user without tags or with the management tag", async function () {
        assertViolations(await runResourcePolicy(policy, user([])), []);
        assertViolations(await runResourcePolicy(policy, user(["management"])), []);
    });

    it("fails administrator and policymaker tags", async function () {
        assertViolations(
            await runResourcePolicy(policy, user(["administrator", "management", "policymaker"])),
            [
                'User "documento-consumer" has tags administrator, policymaker; application users must not hold broker-wide powers. Remove the tags; operators use the cluster\'s admin credentials.',
            ],
        );
    });

    it("takes the privileged tags from the policy config", async function () {
        assertViolations(
            await runResourcePolicy(policy, user(["management"]), { privilegedTags: ["management"] }),
            [
                'User "documento-consumer" has tags management; application users must not hold broker-wide powers. Remove the tags; operators use the cluster\'s admin credentials.',
            ],
        );
    });
});
