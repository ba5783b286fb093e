/**
 * Loaded before every test file (package.json, tap.node-arg). Once a file's tests are done, its
 * process has a second to end on its own, then ends: the timers an SDK keeps for a request a
 * test abandoned on purpose (a timeout, a stop) would otherwise hold the process, and its slot
 * in the runner, for up to a minute. The exit code is tap's, set by then.
 */
import t from 'tap';

const GRACE_MS = 1000;

t.teardown(() => void setTimeout(() => process.exit(), GRACE_MS).unref());
