/**
 * Blocks new uploads with one statement in the uploads bucket's policy: Deny s3:PutObject for
 * everyone, under a Sid of its own. The bucket's other statements are left as they are, and
 * unblocking removes only that statement (the whole policy when nothing else remains).
 */
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import type { UploadGate } from '../../core/ports.js';

export const BLOCK_SID = 'DrsentinelFailoverBlocksUploads';

interface PolicyDocument {
  Version?: string;
  Statement: Array<{ Sid?: string } & Record<string, unknown>>;
}

function blockStatement(bucket: string) {
  return { Sid: BLOCK_SID, Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/*` };
}

export class S3UploadGate implements UploadGate {
  readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {
    this.name = `s3://${bucket}`;
  }

  async #policy(signal?: AbortSignal): Promise<PolicyDocument | undefined> {
    try {
      const answer = await this.s3.send(new GetBucketPolicyCommand({ Bucket: this.bucket }), { abortSignal: signal });
      const doc = JSON.parse(answer.Policy ?? '{}') as Partial<PolicyDocument>;
      return { ...doc, Statement: Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [] };
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucketPolicy') return undefined;
      throw err;
    }
  }

  async isBlocked(signal?: AbortSignal): Promise<boolean> {
    return (await this.#policy(signal))?.Statement.some((s) => s.Sid === BLOCK_SID) ?? false;
  }

  async block(signal?: AbortSignal): Promise<void> {
    const policy = (await this.#policy(signal)) ?? { Version: '2012-10-17', Statement: [] };
    if (policy.Statement.some((s) => s.Sid === BLOCK_SID)) return;
    const next = { ...policy, Version: policy.Version ?? '2012-10-17', Statement: [...policy.Statement, blockStatement(this.bucket)] };
    await this.s3.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify(next) }), { abortSignal: signal });
  }

  async unblock(signal?: AbortSignal): Promise<void> {
    const policy = await this.#policy(signal);
    if (!policy?.Statement.some((s) => s.Sid === BLOCK_SID)) return;
    const rest = policy.Statement.filter((s) => s.Sid !== BLOCK_SID);
    if (rest.length === 0) {
      await this.s3.send(new DeleteBucketPolicyCommand({ Bucket: this.bucket }), { abortSignal: signal });
      return;
    }
    await this.s3.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify({ ...policy, Statement: rest }) }), { abortSignal: signal });
  }
}
