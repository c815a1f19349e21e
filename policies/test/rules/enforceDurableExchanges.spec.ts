import type { ExchangeProps } from "../../lib/types";
import { enforceDurableExchanges } from "../../rules/enforceDurableExchanges";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("enforce-durable-exchanges", function () {
    const policy = enforceDurableExchanges;
    function exchange() {
        const r = find(happyStack(), T.exchange, "documento.events");
        return { r, settings: inputsOf<ExchangeProps>(r).settings as NonNullable<ExchangeProps["settings"]> };
    }

    it("passes a durable exchange", async function () {
        assertViolations(await runResourcePolicy(policy, exchange().r), []);
    });

    it("fails an exchange left to the provider's non-durable default", async function () {
        const { r, settings } = exchange();
        delete settings.durable;
        assertViolations(await runResourcePolicy(policy, r), [
            'Exchange "documento.events" does not set settings.durable (the provider defaults it to false); a transient exchange and its bindings vanish when the broker restarts and messages published to it are dropped. Set settings.durable to true.',
        ]);
    });

    it("fails an auto-delete exchange", async function () {
        const { r, settings } = exchange();
        settings.autoDelete = true;
        assertViolations(await runResourcePolicy(policy, r), [
            'Exchange "documento.events" has settings.autoDelete true; it disappears with its last binding and messages published to it are dropped. Remove settings.autoDelete or set it to false.',
        ]);
    });
});
