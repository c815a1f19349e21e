import * as assert from "assert";
import type { BindingProps, QueueProps, RabbitmqPolicyProps } from "../../lib/types";
import { configurePoisonMessageHandling } from "../../rules/configurePoisonMessageHandling";
import { T, find, happyStack, inputsOf, quorumArgs } from "../fixtures";
import type { TestResource } from "../harness";
import { UNKNOWN, assertViolations, runStackPolicy } from "../harness";

describe("configure-poison-message-handling", function () {
    const policy = configurePoisonMessageHandling;
    const q = "documento.deletion.queue (rabbitmq:index/queue:Queue)";
    const definition = (stack: TestResource[], name = "documento.deletion.queue") =>
        inputsOf<RabbitmqPolicyProps>(find(stack, T.policy, name)).policy?.definition as Record<
            string,
            string
        >;

    it("passes delivery limits and a dead-letter route to a bound queue", async function () {
        assertViolations(await runStackPolicy(policy, happyStack()), []);
    });

    it("fails a quorum queue without a delivery limit", async function () {
        const stack = happyStack();
        delete definition(stack)["delivery-limit"];
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} has no delivery limit (no x-delivery-limit in argumentsJson and no delivery-limit in the policy that applies to it); RabbitMQ 3.x redelivers a poison message for ever and 4.x silently applies its default of 20. Add a delivery-limit to the queue's policy or x-delivery-limit to argumentsJson.`,
        ]);
    });

    it("accepts x-delivery-limit in argumentsJson", async function () {
        const stack = happyStack();
        delete definition(stack)["delivery-limit"];
        const settings = inputsOf<QueueProps>(find(stack, T.queue, "documento.deletion.queue")).settings as {
            argumentsJson: string;
        };
        settings.argumentsJson = quorumArgs({ "x-delivery-limit": 3 });
        assertViolations(await runStackPolicy(policy, stack), []);
    });

    it("accepts an unlimited delivery limit (-1) on a dead-letter queue", async function () {
        const stack = happyStack();
        definition(stack, "documento.deletion.dlq")["delivery-limit"] = "-1";
        assertViolations(await runStackPolicy(policy, stack), []);
    });

    it("fails an unlimited delivery limit on a queue that is not a dead-letter target", async function () {
        const stack = happyStack();
        definition(stack)["delivery-limit"] = "-1";
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} has delivery limit -1 (unlimited) but is not a dead-letter queue; a poison message is redelivered for ever. Set a positive delivery-limit and a dead-letter route for the queue.`,
        ]);
    });

    it("only counts the highest-priority matching policy, as RabbitMQ does", async function () {
        const stack = happyStack();
        stack.push({
            type: T.policy,
            name: "catch-all",
            inputs: {
                name: "catch-all",
                vhost: "/carpeta",
                policy: {
                    pattern: ".*",
                    priority: 20,
                    applyTo: "queues",
                    definition: { "max-length": "1000" },
                },
            },
        });
        const out = await runStackPolicy(policy, stack);
        assert.strictEqual(out.violations.length, 2);
        assert.match(out.violations[0].message, /^documento\.deletion\.queue .* has no delivery limit/);
    });

    it("fails a dead-letter exchange that is not declared", async function () {
        const stack = happyStack();
        definition(stack)["dead-letter-exchange"] = "documento.dead";
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} dead-letters to exchange "documento.dead" (policy documento.deletion.queue (rabbitmq:index/policy:Policy)), which is not declared in vhost "/carpeta"; dead-lettered messages are dropped. Declare the exchange and bind a queue to it.`,
        ]);
    });

    it("fails a dead-letter routing key that no binding routes", async function () {
        const stack = happyStack();
        const binding = inputsOf<BindingProps>(
            find(stack, T.binding, "documento.events-documento.deletion.dlq"),
        );
        binding.routingKey = "documento.other";
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} dead-letters to exchange "documento.events" with routing key "documento.deletion.dlq" (policy documento.deletion.queue (rabbitmq:index/policy:Policy)), but no binding routes that to a declared queue; dead-lettered messages are dropped. Bind a dead-letter queue to the exchange for that routing key.`,
        ]);
    });

    it("matches topic bindings with wildcards", async function () {
        const stack = happyStack();
        inputsOf<BindingProps>(find(stack, T.binding, "documento.events-documento.deletion.dlq")).routingKey =
            "documento.#";
        assertViolations(await runStackPolicy(policy, stack), []);
    });

    it("fails dead-lettering through the default exchange to a queue that does not exist", async function () {
        const stack = happyStack();
        definition(stack)["dead-letter-exchange"] = "";
        definition(stack)["dead-letter-routing-key"] = "nowhere";
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} dead-letters to the default exchange with routing key "nowhere" (policy documento.deletion.queue (rabbitmq:index/policy:Policy)), but no queue "nowhere" is declared in vhost "/carpeta"; dead-lettered messages are dropped. Declare that queue or route to a declared exchange.`,
        ]);
    });

    it("checks the other queues and can't tell yet about one with unknown arguments", async function () {
        const stack = happyStack();
        const settings = inputsOf<QueueProps>(find(stack, T.queue, "documento.deletion.queue")).settings as {
            argumentsJson: string;
        };
        settings.argumentsJson = UNKNOWN;
        delete definition(stack, "documento.deletion.dlq")["delivery-limit"];
        const out = await runStackPolicy(policy, stack);
        assert.strictEqual(out.violations.length, 1);
        assert.match(out.violations[0].message, /^documento\.deletion\.dlq .* has no delivery limit/);
        assert.strictEqual(
            out.unknown,
            "string value at .settings.argumentsJson can't be known during preview",
        );
    });
});
