import * as assert from "assert";
import type { RabbitmqClusterProps, RabbitmqProviderProps, UserProps } from "../../lib/types";
import { disallowGuestUser } from "../../rules/disallowGuestUser";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { UNKNOWN, assertViolations, runResourcePolicy } from "../harness";

describe("disallow-guest-user", function () {
    const policy = disallowGuestUser;

    it("passes the app user, provider and cluster", async function () {
        const stack = happyStack();
        for (const [type, name] of [
            [T.user, "documento-consumer"],
            [T.provider, "rabbitmq"],
            [T.cluster, "rabbitmq"],
        ]) {
            assertViolations(await runResourcePolicy(policy, find(stack, type, name)), []);
        }
    });

    it("fails a user named guest", async function () {
        const r = find(happyStack(), T.user, "documento-consumer");
        inputsOf<UserProps>(r).name = "guest";
        assertViolations(await runResourcePolicy(policy, r), [
            'User "documento-consumer" has name "guest"; the guest account\'s password is public knowledge. Create a user with its own name and a generated password.',
        ]);
    });

    it("fails a provider that logs in as guest", async function () {
        const r = find(happyStack(), T.provider, "rabbitmq");
        inputsOf<RabbitmqProviderProps>(r).username = "guest";
        assertViolations(await runResourcePolicy(policy, r), [
            'rabbitmq provider "rabbitmq" logs in as "guest"; the guest account\'s password is public knowledge. Use the cluster\'s generated admin credentials.',
        ]);
    });

    it("fails default_user = guest in the cluster's rabbitmq.conf", async function () {
        const r = find(happyStack(), T.cluster, "rabbitmq");
        const rabbitmq = inputsOf<RabbitmqClusterProps>(r).spec?.rabbitmq as { additionalConfig: string };
        rabbitmq.additionalConfig += "default_user = guest\n";
        assertViolations(await runResourcePolicy(policy, r), [
            'RabbitmqCluster "rabbitmq" sets default_user = guest in spec.rabbitmq.additionalConfig; the guest account\'s password is public knowledge. Remove it and let the operator or secretBackend provide the default user.',
        ]);
    });

    it("can't tell yet when the provider's username is unknown at preview", async function () {
        const r = find(happyStack(), T.provider, "rabbitmq");
        inputsOf<RabbitmqProviderProps>(r).username = UNKNOWN;
        const out = await runResourcePolicy(policy, r);
        assertViolations(out, []);
        assert.strictEqual(out.unknown, "string value at .username can't be known during preview");
    });
});
