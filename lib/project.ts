import * as fs from "fs";
import * as path from "path";

/**
 * The directory holding Pulumi.yaml, found upwards from this module, so that paths resolve the same whether the
 * program runs as compiled JavaScript from bin/ or from sources.
 */
export function projectRoot(from: string = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`No Pulumi.yaml found above ${from}.`);
        }
    }
}
