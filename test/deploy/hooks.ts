/**
 * Root hooks of the real-engine suite (`.mocharc.deploy.json` `require`): the rig's control plane is started
 * once for the run and, if this run started it, stopped again afterwards, also when a test failed. A rig that a
 * developer already had up is left up.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { rig } from "./support/rig";

let startedHere = false;

export const mochaHooks = {
    beforeAll(this: Mocha.Context): void {
        this.timeout(180000);
        const status = spawnSync("bash", [path.join(__dirname, "../../../scripts/rig.sh"), "status"]);
        startedHere = status.status !== 0;
        rig("up");
    },
    afterAll(this: Mocha.Context): void {
        this.timeout(60000);
        if (startedHere) {
            rig("down");
        }
    },
};
