/**
 * Constructs components directly under Pulumi's mocks and records every registration (type, name, parent,
 * inputs), as pulumi-testing.md §1.3 describes. Inputs are unwrapped from Pulumi's wire format.
 */
import * as pulumi from "@pulumi/pulumi";
import { displayValue, observeAccepted, UrnCall } from "../../lib/render";
import { exactlyOne } from "../support";

export interface Registered {
    type: string;
    name: string;
    urn: string;
    parent: string;
    custom: boolean;
    inputs: Record<string, unknown>;
}

interface Struct {
    toJavaScript(): Record<string, unknown>;
}
interface ResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
}
interface RegisterRequest extends ResourceRequest {
    getCustom(): boolean;
    getObject(): Struct | undefined;
}
interface ReadRequest extends ResourceRequest {
    getProperties(): Struct | undefined;
}
interface MockMonitor {
    registerResource: UrnCall<RegisterRequest>;
    readResource: UrnCall<ReadRequest>;
}
const runtime = pulumi.runtime as unknown as { getMonitor(): MockMonitor; waitForRPCs(): Promise<void> };

export interface Recorder {
    resources: Registered[];
    byType(type: string): Registered[];
    one(type: string, name: string): Registered;
    /** Waits for every registration in flight. */
    settle(): Promise<void>;
}

/**
 * Installs mocks (update mode unless `preview`) and returns the recorder; call in a `before` hook. `state` adds
 * computed outputs per resource (for example a StackReference's `outputs`).
 */
export async function installMocks(
    preview = false,
    state: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> = () => ({}),
): Promise<Recorder> {
    pulumi.runtime.setAllConfig({});
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: preview ? undefined : `${args.name}-id`,
                state: { ...args.inputs, ...state(args) },
            }),
            call: (args) => {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        },
        "rabbitmq-platform",
        "test",
        preview,
        "organization",
    );
    const resources: Registered[] = [];
    const monitor = runtime.getMonitor();
    const record = (req: ResourceRequest, urn: string, custom: boolean, inputs: Struct | undefined) => {
        resources.push({
            type: req.getType(),
            name: req.getName(),
            urn,
            parent: req.getParent(),
            custom,
            inputs: displayValue(inputs?.toJavaScript() ?? {}, true) as Record<string, unknown>,
        });
    };
    monitor.registerResource = observeAccepted(monitor.registerResource.bind(monitor), (req, urn) =>
        record(req, urn, req.getCustom(), req.getObject()),
    );
    // Reads (`Resource.get`, StackReference) are recorded like registrations.
    monitor.readResource = observeAccepted(monitor.readResource.bind(monitor), (req, urn) =>
        record(req, urn, true, req.getProperties()),
    );
    return {
        resources,
        byType: (type) => resources.filter((r) => r.type === type),
        one: (type, name) => exactlyOne(resources, type, name),
        settle: () => runtime.waitForRPCs(),
    };
}

/** The value of an Output, once known. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}
