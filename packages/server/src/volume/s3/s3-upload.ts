import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HashMismatchError } from '../../errors.js';

/**
 * Bytes per multipart part, and the largest block sent with a single PutObject. 5 MiB is the
 * smallest part S3 accepts (except the last one).
 */
export const S3_PART_SIZE = 5 * 1024 * 1024; // 5 MiB

/** Parts of one block uploading at once; with the part being filled, bounds memory per PUT. */
export const S3_PARTS_IN_FLIGHT = 2;

function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

/**
 * One block on its way into S3 under `key`, visible there only once its own MD5 is checked:
 * - up to S3_PART_SIZE the bytes are held in memory and sent by `commit()` with one PutObject
 *   (with Content-MD5) after the MD5 of what arrived matched the hash;
 * - a larger block goes as a multipart upload, part by part as it streams in (each part with
 *   Content-MD5), and `commit()` completes the upload only if the MD5 of the whole stream
 *   matches; otherwise, and on `discard()`, the upload is aborted. An incomplete multipart
 *   upload is invisible to GET and listings, so no partial or wrong object ever appears under
 *   the key, whichever server (s3rver stores a body whose Content-MD5 does not match).
 * Memory: at most S3_PARTS_IN_FLIGHT parts uploading plus one filling (~15 MiB), whatever the
 * block size.
 */
export class S3Upload {
  readonly stream: Writable;
  readonly #md5 = createHash('md5');
  #chunks: Buffer[] = [];
  #buffered = 0;
  #uploadId: Promise<string> | null = null;
  readonly #parts: Promise<CompletedPart>[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #done = false;
  #size = 0;
  #failure: unknown = undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly hash: string,
    /** Turns an S3 failure into the KeepError the write stream emits (WriteFailed / 503). */
    private readonly mapError: (err: unknown) => Error,
  ) {
    this.stream = new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _enc, cb) =>
        this.#write(chunk).then(
          () => cb(),
          (err: unknown) => cb(this.mapError(err)),
        ),
      final: (cb) =>
        this.#finish().then(
          () => cb(),
          (err: unknown) => cb(this.mapError(err)),
        ),
    });
  }

  /** Checks the MD5 of everything written, then makes the object visible. */
  async commit(): Promise<void> {
    const digest = this.#md5.digest('hex');
    if (digest !== this.hash) throw new HashMismatchError();
    this.#done = true;
    if (this.#uploadId === null) {
      const body = this.#takeBuffered();
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: Buffer.from(this.hash, 'hex').toString('base64'),
          ContentType: 'application/octet-stream',
        }),
      );
      return;
    }
    const uploadId = await this.#uploadId;
    try {
      const parts = await Promise.all(this.#parts);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.#abort();
      throw err;
    }
  }

  /** Aborts a multipart upload in progress; a no-op after commit. Never throws. */
  async discard(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#chunks = [];
    await this.#abort();
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  async #write(chunk: Buffer): Promise<void> {
    this.#md5.update(chunk);
    this.#size += chunk.length;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered >= S3_PART_SIZE) await this.#sendPart();
  }

  /** The last part goes now, so commit() only has to check and complete. */
  async #finish(): Promise<void> {
    if (this.#uploadId !== null && this.#buffered > 0) await this.#sendPart();
    if (this.#uploadId !== null) await Promise.all(this.#parts);
  }

  /** Starts uploading what is buffered as the next part; waits while too many are in flight. */
  async #sendPart(): Promise<void> {
    this.#uploadId ??= this.client
      .send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: 'application/octet-stream' }))
      .then((r) => {
        if (!r.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        return r.UploadId;
      });
    const body = this.#takeBuffered();
    const partNumber = this.#parts.length + 1;
    const part = this.#uploadId.then(async (uploadId) => {
      const r = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5Base64(body),
        }),
      );
      return { PartNumber: partNumber, ETag: r.ETag };
    });
    this.#parts.push(part);
    const settled = part.then(
      () => undefined,
      (err: unknown) => {
        this.#failure ??= err;
      },
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    if (this.#inFlight.size >= S3_PARTS_IN_FLIGHT) await Promise.race(this.#inFlight);
    // A failed part fails this write (and so the pipeline) instead of the whole body being read.
    if (this.#failure !== undefined) throw this.#failure;
  }

  #takeBuffered(): Buffer {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    return body;
  }

  async #abort(): Promise<void> {
    if (this.#uploadId === null) return;
    await Promise.allSettled(this.#parts);
    try {
      const uploadId = await this.#uploadId;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }));
    } catch {
      // Unreachable S3 or no upload id: the incomplete upload stays invisible; a bucket
      // lifecycle rule (AbortIncompleteMultipartUpload) reclaims its parts.
    }
  }
}
