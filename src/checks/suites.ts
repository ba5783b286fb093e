/**
 * The registry: every check is one entry, built from the config and the adapters when its
 * suite runs. Adding a check = adding an entry here (and its probe in probes/).
 *
 * `build` may throw — typically a UsageError naming the config section it needs
 * (`requireSection`, or the Azure builders' own `armSettings`): the runner turns that into a
 * `fail` of the check saying which section is missing, never a crash and never a skip, because
 * an unconfigured check proves nothing about the standby.
 */
import type { AdapterFactory, Adapters, ControlPlane } from '../adapters/index.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import type { Check } from '../core/result.js';
import { cosmosCheck } from '../../probes/cosmos.js';
import { dnsStandbyCheck } from '../../probes/dns-standby.js';
import { metadataSampleCheck, uploadsSampleCheck } from './sync-samples.js';
import { staticSiteCheck } from '../../probes/static-site.js';
import { uploadsContainerCheck } from '../../probes/uploads-container.js';
import { conversionFunctionCheck } from '../../probes/conversion-function.js';
import { scaleSetStandbyCheck } from '../../probes/scale-set.js';
import { gatewayCheck } from '../../probes/app-gateway.js';
import { certificateCheck } from '../../probes/certificate.js';
import { apiHealthCheck } from '../../probes/api-health.js';
import { gatewayBackendsCheck } from '../../probes/gateway-backends.js';
import { dnsCutoverCheck } from '../../probes/dns-cutover.js';
import { endToEndCheck } from '../../probes/e2e.js';
import { appLogsCheck } from '../../probes/app-logs.js';
import { cosmosThroughputCheck } from '../../probes/cosmos-throughput.js';
import { azureTargets } from './dns-targets.js';
import type { Suite } from './suite-names.js';

export { SUITES, PROBE_SUITES, MONTHLY_SUITE, isSuite, type Suite } from './suite-names.js';

/** What an entry may build its check from; every adapter is built on first use, once. */
export interface CheckDeps {
  readonly config: Config;
  /** The storage adapters: a secret missing fails the checks that need them, not the others. */
  adapters(): Adapters;
  /** The control planes, the DNS resolvers and the Cosmos probe. */
  control(): ControlPlane;
}

export interface CheckEntry {
  /** Stable kebab-case id: metrics label, history key. */
  id: string;
  /** Said when the check cannot even be built. */
  title: string;
  suites: readonly Suite[];
  build(deps: CheckDeps): Check;
}

/** The value, or a UsageError saying which config section `needs` it. */
export function requireSection<T>(value: T | undefined, section: string, needs: string): T {
  if (value === undefined || value === null || value === '') throw new UsageError(`${needs} needs ${section} in the config, which is missing`);
  return value;
}

export const CHECKS: CheckEntry[] = [
  {
    id: 'static-site',
    title: 'the static website answers index.html',
    suites: ['monthly', 'standby', 'smoke'],
    build: ({ config }) => staticSiteCheck({ websiteUrl: config.azure.blob.websiteUrl }),
  },
  {
    id: 'cosmos',
    title: 'Cosmos reachable, readable and writable',
    suites: ['monthly'],
    build: (deps) => cosmosCheck({ documents: deps.control().cosmosProbe() }),
  },
  {
    id: 'dns-standby',
    title: 'the standby record points at the Application Gateway',
    suites: ['monthly', 'standby'],
    build: (deps) =>
      dnsStandbyCheck({
        name: requireSection(deps.config.dns.standbyRecord, 'dns.standbyRecord', 'the dns-standby check'),
        resolvers: deps.control().resolvers(),
        expectedAddresses: gatewayAddresses(deps),
        maxTtlSeconds: deps.config.checks.maxTtlSeconds,
        minResolvers: deps.config.checks.minResolvers,
      }),
  },
  {
    id: 'uploads-container',
    title: 'the uploads container is reachable',
    suites: ['complementary', 'standby'],
    build: (deps) => uploadsContainerCheck({ store: deps.adapters().objects.azureUploads }),
  },
  {
    id: 'uploads-sample',
    title: 'the latest uploads have equal MD5s on both sides',
    suites: ['sampling'],
    build: (deps) => {
      const { awsUploads, azureUploads } = deps.adapters().objects;
      return uploadsSampleCheck({ source: awsUploads, destination: azureUploads, sampleSize: deps.config.sync.uploadsSampleSize });
    },
  },
  {
    id: 'metadata-sample',
    title: 'a sample of the metadata has equal hashes on both sides',
    suites: ['sampling'],
    build: (deps) => {
      const { dynamodb, cosmos } = deps.adapters().tables;
      return metadataSampleCheck({ source: dynamodb, destination: cosmos, ratio: deps.config.sync.metadataSampleRatio, concurrency: deps.config.sync.checkers });
    },
  },
  {
    id: 'conversion-function',
    title: 'the conversion function is deployed with its blob trigger',
    suites: ['monthly', 'standby'],
    build: (deps) => {
      const functionApp = requireSection(deps.config.azure.functionApp, 'azure.functionApp', 'the conversion-function check');
      return conversionFunctionCheck(deps.control().functionApp(), { functionName: functionApp.conversionFunction, uploadsContainer: deps.config.azure.blob.containers.uploads });
    },
  },
  {
    id: 'scale-set',
    title: 'the scale set is defined, healthy and at its standby capacity',
    suites: ['monthly', 'standby'],
    build: (deps) => scaleSetStandbyCheck(deps.control().scaleSet(), { expectedCapacity: deps.config.activation.vmssStandby }),
  },
  {
    id: 'app-gateway',
    title: 'the Application Gateway is provisioned and running',
    suites: ['monthly', 'standby'],
    build: (deps) => gatewayCheck(deps.control().gateway()),
  },
  {
    id: 'certificate',
    title: 'the wildcard certificate is valid long enough',
    suites: ['monthly', 'standby', 'complementary'],
    build: (deps) => {
      const vault = requireSection(deps.config.azure.keyVault, 'azure.keyVault', 'the certificate check');
      return certificateCheck(deps.control().vault(), { name: vault.certificate, minDays: deps.config.checks.certificateMinDays });
    },
  },
  {
    id: 'api-health',
    title: 'the API answers healthy through the Application Gateway',
    suites: ['smoke'],
    build: (deps) => {
      const gateway = deps.control().gateway();
      const configured = deps.config.azure.appGateway?.url;
      return {
        id: 'api-health',
        title: 'the API answers healthy through the Application Gateway',
        async run(ctx) {
          const url = configured ?? `http://${(await gateway.get(ctx.signal)).publicIp ?? 'no-public-ip.invalid'}`;
          return apiHealthCheck({ url }).run(ctx);
        },
      };
    },
  },
  {
    id: 'gateway-backends',
    title: 'every backend of the Application Gateway is Healthy',
    suites: ['smoke'],
    build: (deps) => gatewayBackendsCheck(deps.control().gateway()),
  },
  {
    id: 'dns-cutover',
    title: 'the public names resolve to Azure',
    suites: ['smoke'],
    build: (deps) => {
      const zone = deps.control().dnsZone().zone;
      const gateway = deps.control().gateway();
      return dnsCutoverCheck({
        targets: async (signal) => azureTargets(deps.config, zone, (await gateway.get(signal)).publicIp),
        resolvers: deps.control().resolvers(),
        minResolvers: deps.config.checks.minResolvers,
      });
    },
  },
  {
    id: 'e2e',
    title: 'an upload is converted into Cosmos by the function',
    suites: ['e2e'],
    build: (deps) => {
      const functionApp = requireSection(deps.config.azure.functionApp, 'azure.functionApp', 'the end-to-end test');
      const adapters = deps.adapters();
      return endToEndCheck({
        uploads: adapters.objects.azureUploads,
        logs: deps.control().logs(),
        cosmos: adapters.tables.cosmos,
        functionName: functionApp.conversionFunction,
        waitSeconds: deps.config.checks.e2eWaitSeconds,
      });
    },
  },
  {
    id: 'app-logs',
    title: 'the application logs show mostly HTTP 200',
    suites: ['complementary'],
    build: (deps) => appLogsCheck(deps.control().logs(), { since: APP_LOGS_WINDOW_MINUTES, maxErrorRatio: deps.config.checks.maxErrorRatio }),
  },
  {
    id: 'cosmos-throughput',
    title: 'Cosmos runs at its active throughput',
    suites: ['complementary'],
    build: (deps) => cosmosThroughputCheck(deps.control().throughput(), { expectedRu: deps.config.activation.cosmosActiveRu }),
  },
];

/** R12 looks at the traffic of the validation just run: the last quarter of an hour. */
const APP_LOGS_WINDOW_MINUTES = 15;

/** The Application Gateway's public address, asked of the gateway each time the check runs. */
function gatewayAddresses(deps: CheckDeps): (signal: AbortSignal) => Promise<string[]> {
  const gateway = deps.control().gateway();
  return async (signal) => {
    const state = await gateway.get(signal);
    return state.publicIp ? [state.publicIp] : [];
  };
}

export function entriesOf(suite: Suite, checks: readonly CheckEntry[] = CHECKS): CheckEntry[] {
  return checks.filter((entry) => entry.suites.includes(suite));
}

/** The entries' dependencies over a process's adapters; whoever built those closes them, not the runner. */
export function checkDeps(config: Config, adapters: AdapterFactory, control: ControlPlane): CheckDeps & { close(): void } {
  return { config, adapters: () => adapters.storage(), control: () => control, close() {} };
}
