/**
 * Just enough of S3 bucket-policy evaluation for the twin: explicit `Deny` statements for
 * everyone (`Principal: "*"`). s3rver allows everything, so `Allow` statements change nothing;
 * statements with a `Condition`, `NotAction`, `NotResource` or `NotPrincipal` cannot be judged
 * here and are left out rather than guessed.
 */
interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
  NotPrincipal?: unknown;
}

/** Why a policy document is refused (S3's MalformedPolicy), or undefined when it is acceptable. */
export function policyProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'Policies must be valid JSON and the first byte must be \'{\'';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'Policies must be a JSON object';
  const statements = (doc as { Statement?: unknown }).Statement;
  if (statements === undefined) return 'Missing required field Statement';
  for (const s of toList(statements)) {
    if (typeof s !== 'object' || s === null) return 'Statement is not an object';
    const st = s as Statement;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return 'Invalid effect';
    if (st.Action === undefined && st.NotAction === undefined) return 'Missing required field Action';
    if (st.Resource === undefined && st.NotResource === undefined) return 'Missing required field Resource';
  }
  return undefined;
}

/** True when an explicit Deny for everyone covers `action` on `resourceArn`. */
export function policyDenies(policyText: string, action: string, resourceArn: string): boolean {
  const doc = JSON.parse(policyText) as { Statement: unknown };
  return toList(doc.Statement).some((s) => {
    const st = s as Statement;
    if (st.Effect !== 'Deny') return false;
    if (st.Condition !== undefined || st.NotAction !== undefined || st.NotResource !== undefined || st.NotPrincipal !== undefined) {
      return false;
    }
    return (
      isEveryone(st.Principal) &&
      toList(st.Action).some((a) => typeof a === 'string' && glob(a, true).test(action)) &&
      toList(st.Resource).some((r) => typeof r === 'string' && glob(r, false).test(resourceArn))
    );
  });
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return toList((principal as { AWS?: unknown }).AWS).includes('*');
}

function toList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM wildcards: `*` any run of characters, `?` one character; actions compare case-insensitively. */
function glob(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}
