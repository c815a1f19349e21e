/**
 * The abstraction-cost baseline: a program that registers exactly the resources of a rendered plan (same types,
 * names, inputs, parents, providers, dependencies and protect flags) straight through the SDK's generic
 * CustomResource / ProviderResource / ComponentResource, with no config parsing, validation or components.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { PlanResource, RESOURCE_SIG, SECRET_SIG, SPECIAL_SIG_KEY, UNKNOWN } from "../render";

/** A plan resource with its inputs in Pulumi's wire format (secrets marked), as the real program registered them. */
export type BaselineResource = Omit<PlanResource, "inputs"> & { wireInputs: Record<string, unknown> };

export interface BaselineSource {
    project: string;
    resources: BaselineResource[];
    outputs: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Wire values back to SDK inputs: secrets become secret Outputs, resource references their URN. */
export function fromWire(value: unknown): unknown {
    if (value === UNKNOWN) {
        return undefined;
    }
    if (Array.isArray(value)) {
        return value.map(fromWire);
    }
    if (!isRecord(value)) {
        return value;
    }
    const sig = value[SPECIAL_SIG_KEY];
    if (sig === SECRET_SIG) {
        return pulumi.secret(fromWire(value.value));
    }
    if (sig === RESOURCE_SIG) {
        return value.urn;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
}

class GenericProvider extends pulumi.ProviderResource {
    constructor(pkg: string, name: string, props: pulumi.Inputs, opts: pulumi.ResourceOptions) {
        super(pkg, name, props, opts);
    }
}

class GenericCustom extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(type, name, props, opts);
    }
}

class GenericComponent extends pulumi.ComponentResource {
    constructor(
        type: string,
        name: string,
        args: pulumi.Inputs,
        opts: pulumi.ComponentResourceOptions,
        remote: boolean,
    ) {
        super(type, name, args, opts, remote);
        if (!remote) {
            this.registerOutputs({});
        }
    }
}

/** Registers every resource of the source in plan order (parents and dependencies come first there). */
export function registerPlan(source: BaselineSource): Record<string, unknown> {
    const created = new Map<string, pulumi.Resource>();
    const providers = new Map<string, pulumi.ProviderResource>();
    const stackPrefix = "pulumi:pulumi:Stack";
    for (const r of source.resources) {
        if (r.type === stackPrefix) {
            continue;
        }
        const parent = r.parent === null ? undefined : created.get(r.parent);
        const dependsOn = r.dependencies
            .map((u) => created.get(u))
            .filter((x): x is pulumi.Resource => x !== undefined);
        const inputs = fromWire(r.wireInputs) as pulumi.Inputs;
        const opts: pulumi.CustomResourceOptions = {
            parent,
            dependsOn,
            protect: r.protect,
            provider: r.provider === null ? undefined : providers.get(r.provider),
        };
        let res: pulumi.Resource;
        if (r.type.startsWith("pulumi:providers:")) {
            const p = new GenericProvider(r.type.slice("pulumi:providers:".length), r.name, inputs, {
                parent,
                dependsOn,
                protect: r.protect,
            });
            providers.set(r.urn, p);
            res = p;
        } else if (r.custom) {
            res = new GenericCustom(r.type, r.name, inputs, opts);
        } else if (r.type.startsWith(`${source.project}:`)) {
            res = new GenericComponent(r.type, r.name, {}, { parent, dependsOn, protect: r.protect }, false);
        } else {
            // A remote (multi-language) component such as the yaml/v2 ConfigFile: registered with its inputs.
            res = new GenericComponent(r.type, r.name, inputs, { parent, dependsOn }, true);
        }
        created.set(r.urn, res);
    }
    return source.outputs;
}

/** Entry point of the generated baseline program (see tools/bench.ts). */
export function registerFromFile(file: string): Record<string, unknown> {
    return registerPlan(JSON.parse(fs.readFileSync(file, "utf8")) as BaselineSource);
}
