// The input shapes the rules read, as the engine sends them to the analyzer (plain JSON, secrets unwrapped).
// Only the fields the rules use are declared; everything is optional because a program may leave it out.

export interface QueueProps {
    name?: string;
    vhost?: string;
    settings?: {
        durable?: boolean;
        autoDelete?: boolean;
        arguments?: Record<string, string>;
        argumentsJson?: string;
    };
}

export interface RabbitmqPolicyProps {
    name?: string;
    vhost?: string;
    policy?: {
        pattern?: string;
        priority?: number;
        applyTo?: string;
        definition?: Record<string, string>;
    };
}

export interface ExchangeProps {
    name?: string;
    vhost?: string;
    settings?: { type?: string; durable?: boolean; autoDelete?: boolean };
}

export interface BindingProps {
    source?: string;
    vhost?: string;
    destination?: string;
    destinationType?: string;
    routingKey?: string;
}

export interface UserProps {
    name?: string;
    password?: string;
    tags?: string[];
}

export interface PermissionsProps {
    user?: string;
    vhost?: string;
    permissions?: { configure?: string; write?: string; read?: string };
}

export interface RabbitmqProviderProps {
    endpoint?: string;
    username?: string;
    password?: string;
}

export interface ResourceQuantities {
    cpu?: string;
    memory?: string;
}

export interface RabbitmqClusterProps {
    metadata?: { name?: string; namespace?: string };
    spec?: {
        replicas?: number;
        image?: string;
        resources?: { requests?: ResourceQuantities; limits?: ResourceQuantities };
        persistence?: { storageClassName?: string; storage?: string };
        affinity?: {
            podAntiAffinity?: {
                requiredDuringSchedulingIgnoredDuringExecution?: unknown[];
                preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
            };
        };
        rabbitmq?: { additionalConfig?: string; additionalPlugins?: string[] };
        override?: {
            statefulSet?: {
                spec?: {
                    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
                };
            };
        };
    };
}

export interface PodDisruptionBudgetProps {
    metadata?: { name?: string; namespace?: string };
    spec?: {
        selector?: { matchLabels?: Record<string, string> };
        maxUnavailable?: number | string;
        minAvailable?: number | string;
    };
}
