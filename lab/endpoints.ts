/** The shape of `endpoints.json`, written by `drsentinel lab` (design.md, "endpoints.json"). */
export interface Endpoints {
  aws: {
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    s3: { endpoint: string; buckets: { site: string; uploads: string; exports: string } };
    dynamodb: { endpoint: string; table: string };
    /** The CloudWatch twin (HTTPS: `ca` is the PEM file its certificate is checked against). */
    cloudwatch: { endpoint: string; ca: string };
    /** The production API's load balancer: its base URL and the URLs a rollback re-validates. */
    alb: { url: string; healthUrls: string[] };
  };
  azure: {
    blob: {
      connectionString: string;
      websiteUrl: string;
      containers: { site: string; uploads: string; staging: string };
    };
    cosmos: { endpoint: string; key: string; database: string; container: string };
    /** The ARM twin; `token` is the bearer token it accepts, `ca` the PEM file its TLS certificate is checked against. */
    arm: { endpoint: string; subscriptionId: string; resourceGroup: string; ca: string; token: string };
    /** ARM names in the twin's resource group: the Function App and its conversion function, the Cosmos account, the DNS zone. */
    functionApp: { name: string; conversionFunction: string };
    cosmosAccount: string;
    dnsZone: { zone: string };
    /** The Key Vault twin and the name of its wildcard certificate (HTTPS, trusted with `arm.ca`). */
    keyVault: { url: string; certificate: string };
    /** The Log Analytics twin: LogsQueryClient's `endpoint` (with `/v1`) and the workspace (HTTPS, trusted with `arm.ca`). */
    monitor: { endpoint: string; workspaceId: string };
    /** The API's scale set and the Application Gateway before it: `url` is its public frontend, on `publicIp`. */
    vmss: { name: string };
    appGateway: { name: string; url: string; publicIp: string };
  };
  /** The DNS twin: the zone's authority and three caching resolvers, each `host:port`. */
  dns: { zone: string; authoritative: string; resolvers: string[] };
  service: { url: string };
  /** The SMTP sink (plain SMTP, any login accepted). */
  smtp: { host: string; port: number };
  /** The webhook receiver and the bearer token it expects. */
  webhook: { url: string; token: string };
  /** Demo bearer tokens, one per role, accepted by the lab's drsentinel.yaml (lab only). */
  /** One per role, plus `tech-lead-2` and `cto-2`: a second person for four eyes. */
  tokens: Record<'viewer' | 'operator' | 'sre' | 'tech-lead' | 'cto' | 'product-manager' | 'tech-lead-2' | 'cto-2', string>;
  /** The twin's own control plane: fault injection switches. */
  lab: { control: string };
}
