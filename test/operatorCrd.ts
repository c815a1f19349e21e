/**
 * The RabbitmqCluster CRD of a Cluster Operator release, taken from the operator's own Go module
 * (`config/crd/bases/` of github.com/rabbitmq/cluster-operator/v2) through the Go module proxy, the way any clone
 * can get it. Go's module cache keeps it, so only the first run at a version downloads anything. RABBITMQ_CRD
 * names a CRD file to read instead (for a machine whose proxy does not serve the module).
 */
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const OPERATOR_MODULE = "github.com/rabbitmq/cluster-operator/v2";
const CRD_IN_MODULE = path.join("config", "crd", "bases", "rabbitmq.com_rabbitmqclusters.yaml");
/** Go's official install location, for machines that install it there without putting it on PATH. */
const GO_COMMANDS = ["go", "/usr/local/go/bin/go"];

/** Runs the first go command of `commands` that exists; undefined when there is none. */
function runGo(commands: string[], args: string[]): SpawnSyncReturns<string> | undefined {
    for (const go of commands) {
        // Outside any Go module, so a go.mod or go.work above the checkout cannot change what is downloaded.
        const run = spawnSync(go, args, { encoding: "utf8", cwd: os.tmpdir() });
        if ((run.error as NodeJS.ErrnoException | undefined)?.code !== "ENOENT") {
            return run;
        }
    }
    return undefined;
}

/** The Go module proxy answered that it does not serve the operator's module (as some curated proxies do). */
export class ModuleRefused extends Error {}

/**
 * The path of the RabbitmqCluster CRD of operator `version` (a tag such as v2.22.3), downloading it if needed.
 * @param goCommands where to look for go, first found wins.
 */
export function operatorCrdFile(version: string, goCommands: string[] = GO_COMMANDS): string {
    const override = process.env.RABBITMQ_CRD;
    if (override !== undefined && override !== "") {
        return override;
    }
    const module = `${OPERATOR_MODULE}@${version}`;
    const run = runGo(goCommands, ["mod", "download", "-json", module]);
    if (run === undefined) {
        throw new Error(
            `The CRD schema test needs Go 1.26 or newer (the go command, on PATH or at /usr/local/go/bin/go): it ` +
                `downloads ${module} for the operator's RabbitmqCluster CRD. Install Go (README, Prerequisites), ` +
                `or set RABBITMQ_CRD to that release's ${path.basename(CRD_IN_MODULE)}.`,
        );
    }
    // On failure go still prints the JSON object, with the reason in Error.
    let download: { Dir?: string; Error?: string } = {};
    try {
        download = JSON.parse(run.stdout) as typeof download;
    } catch {
        // Not JSON (an old go, or a crash): stderr says why.
    }
    if (run.status !== 0 || download.Dir === undefined) {
        const reason = download.Error ?? (run.error?.message || run.stderr.trim());
        throw new (/\b403 Forbidden\b/.test(reason) ? ModuleRefused : Error)(
            `go mod download ${module} failed:\n${reason}\nThe CRD schema test needs that module from the Go ` +
                `module proxy (the operator version the stack pins), or RABBITMQ_CRD set to its ` +
                `${path.basename(CRD_IN_MODULE)}.`,
        );
    }
    const file = path.join(download.Dir, CRD_IN_MODULE);
    if (!fs.existsSync(file)) {
        throw new Error(
            `${module} has no ${CRD_IN_MODULE}; the operator moved its CRD, update test/operatorCrd.ts.`,
        );
    }
    return file;
}
