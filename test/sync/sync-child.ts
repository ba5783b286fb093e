/**
 * Runs one objects sync in its own process, for the test that kills it mid-run (objects-kill): the lab's
 * config with the uploads bucket and container replaced, one JSON line on stdout each time
 * the count of copied objects grows.
 * Usage: node <ts loader> sync-child.ts CONFIG_FILE BUCKET CONTAINER
 */
import { buildAdapters } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load.js';
import { syncObjects } from '../../src/sync/objects.js';

const [configFile, bucket, container] = process.argv.slice(2);
if (!configFile || !bucket || !container) throw new Error('usage: sync-child.ts CONFIG_FILE BUCKET CONTAINER');
const { config } = loadConfig(configFile);
config.aws.s3.buckets.uploads = bucket;
config.azure.blob.containers.uploads = container;
const { objects } = buildAdapters(config);
let copied = 0;
const summary = await syncObjects({
  flow: 'crash', mode: 'mirror', source: objects.awsUploads, destination: objects.azureUploads, transfers: 4, checkers: 4,
  onProgress: (p) => {
    if (p.copied === copied) return;
    copied = p.copied;
    process.stdout.write(`${JSON.stringify({ copied })}\n`);
  },
});
process.stdout.write(`${JSON.stringify({ done: summary })}\n`);
process.exit(0);
