/** AMQP connection URLs for app Secrets. */

export interface AmqpEndpoint {
    tls: boolean;
    host: string;
    port: number;
}

/**
 * `amqp(s)://user:password@host:port/vhost` with user, password and vhost percent-encoded: the vhost `/engine`
 * becomes `%2Fengine` (a bare `/engine` path would name the vhost `engine`), and a password containing `@`, `/`,
 * `:` or `#` stays one URL component.
 */
export function amqpUrl(endpoint: AmqpEndpoint, username: string, password: string, vhost: string): string {
    const scheme = endpoint.tls ? "amqps" : "amqp";
    const userinfo = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
    return `${scheme}://${userinfo}@${endpoint.host}:${endpoint.port}/${encodeURIComponent(vhost)}`;
}
