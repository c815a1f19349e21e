// Pulumi type tokens of the resources the rules read. Rules match on the token, not on SDK classes, so the
// pack needs neither @pulumi/rabbitmq nor @pulumi/kubernetes at run time.

export const QUEUE = "rabbitmq:index/queue:Queue";
export const EXCHANGE = "rabbitmq:index/exchange:Exchange";
export const BINDING = "rabbitmq:index/binding:Binding";
export const RABBITMQ_POLICY = "rabbitmq:index/policy:Policy";
export const USER = "rabbitmq:index/user:User";
export const PERMISSIONS = "rabbitmq:index/permissions:Permissions";
export const VHOST = "rabbitmq:index/vHost:VHost";
export const RABBITMQ_PROVIDER = "pulumi:providers:rabbitmq";
/** Every resource of the `rabbitmq` package, i.e. the topology that lives inside the broker. */
export const RABBITMQ_TOPOLOGY_PREFIX = "rabbitmq:";

export const RABBITMQ_CLUSTER = "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster";
export const POD_DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget";
export const K8S_SECRET = "kubernetes:core/v1:Secret";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

/** The Cluster Operator is installed from its release manifest; its Deployment is patched with our env. */
export const OPERATOR_TYPES = ["kubernetes:yaml/v2:ConfigFile", "kubernetes:apps/v1:DeploymentPatch"];
/** cert-manager is installed as a Helm Release (which creates its own namespace). */
export const CERT_MANAGER_TYPES = ["kubernetes:helm.sh/v3:Release"];
