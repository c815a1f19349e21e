/** Root hooks of the integration suite (`.mocharc.integration.json` `require`): what its spec files share. */
import { stopPack } from "./policies/support";

export const mochaHooks = {
    async afterAll(): Promise<void> {
        await stopPack();
    },
};
