/** Flag parsing shared by the commands that render a stack (`plan`, `diagram`). */
import { parseArgs, ParseArgsConfig } from "util";

type Values<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>["values"];

/**
 * Parses a stack command's flags (strict), requiring `--stack`. On bad usage it prints the problem and the usage
 * and returns undefined: the command exits 2.
 */
export function parseStackCommand<T extends ParseArgsConfig>(
    config: T,
    usage: string,
): (Values<T> & { stack: string }) | undefined {
    let values: Values<T>;
    try {
        ({ values } = parseArgs(config));
    } catch (e) {
        console.error(`${(e as Error).message}\n${usage}`);
        return undefined;
    }
    const stack = (values as Record<string, unknown>).stack;
    if (typeof stack !== "string") {
        console.error(`--stack is required\n${usage}`);
        return undefined;
    }
    return { ...values, stack };
}
