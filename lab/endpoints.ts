/** The shape of `endpoints.json`, written by `drsentinel lab` (design.md, "endpoints.json"). */
export interface Endpoints {
  aws: {
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    s3: { endpoint: string; buckets: { site: string; uploads: string; exports: string } };
    dynamodb: { endpoint: string; table: string };
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
  };
  /** The DNS twin: the zone's authority and three caching resolvers, each `host:port`. */
  dns: { zone: string; authoritative: string; resolvers: string[] };
  service: { url: string };
  /** Demo bearer tokens, one per role, accepted by the lab's drsentinel.yaml (lab only). */
  tokens: Record<'viewer' | 'operator' | 'sre' | 'tech-lead' | 'cto' | 'product-manager', string>;
  /** The twin's own control plane: fault injection switches. */
  lab: { control: string };
}
