import { PassThrough, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { NotFoundError, VolumeUnavailableError } from '../../errors.js';
import { mapS3Error } from './s3-errors.js';
import { listObjects, type ListedObject } from './s3-listing.js';

/** Size and LastModified of one object. */
export interface ObjectStat {
  size: number;
  lastModified: Date;
  /** User metadata (x-amz-meta-*), names lowercase. */
  metadata: Record<string, string>;
}

/** Read-ahead of a GET body (the S3 socket gives 16-64 KiB chunks). */
const GET_HIGH_WATER_MARK = 1024 * 1024; // 1 MiB

/** A copy reporting a LastModified further than this from our clock did not really happen. */
const MAX_CLOCK_SKEW_MS = 600_000; // 10 min, as Arvados

/**
 * The object operations an S3 volume uses, on one bucket, each with its failure mapped once:
 * a missing object is null (head) or NotFoundError, anything else VolumeUnavailableError (503).
 */
export class S3Bucket {
  #reachable = true;

  constructor(
    readonly client: S3Client,
    readonly name: string,
    readonly volumeUuid: string,
    readonly pageSize: number,
  ) {}

  /**
   * Fails unless the bucket exists and our credentials may list it (start-up check). A listing
   * rather than HeadBucket: /index needs that permission, and some servers (s3rver) answer HEAD
   * without checking the signature.
   */
  async check(): Promise<void> {
    await this.client.send(new ListObjectsV2Command({ Bucket: this.name, MaxKeys: 1 }));
    this.#reachable = true;
  }

  async head(key: string): Promise<ObjectStat | null> {
    try {
      const r = await this.#run('HEAD', () => this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key })));
      return { size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0), metadata: r.Metadata ?? {} };
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /**
   * Streams an object; the caller must consume or destroy the stream. A failure mid-body (S3
   * gone, read timeout) fails the stream with the mapped error (503), like a failed request.
   */
  async get(key: string): Promise<{ stream: Readable; size: number; lastModified: Date }> {
    const r = await this.#run('GET', () => this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key })));
    const body = r.Body as Readable;
    const stream = new PassThrough({ highWaterMark: GET_HIGH_WATER_MARK });
    body.once('error', (err) => stream.destroy(this.mapError('GET', err)));
    stream.once('close', () => body.destroy()); // consumer done or gone: release the socket
    body.pipe(stream);
    return { stream, size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
  }

  /** Writes an empty object (a recent/ marker): its LastModified becomes now. */
  async putEmpty(key: string): Promise<void> {
    await this.#run('PUT', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: Buffer.alloc(0), ContentLength: 0 })),
    );
  }

  /**
   * Server-side copy; NotFoundError if `src` is missing. S3 can report a failed copy inside a
   * 200 answer, so the copy counts only if it returned a fresh LastModified. The copy gets
   * `metadata` (none by default).
   */
  async copy(dst: string, src: string, metadata: Record<string, string> = {}): Promise<void> {
    const r = await this.#run('COPY', () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.name,
          Key: dst,
          CopySource: `${this.name}/${src}`,
          ContentType: 'application/octet-stream',
          MetadataDirective: 'REPLACE',
          Metadata: metadata,
        }),
      ),
    );
    const t = r.CopyObjectResult?.LastModified;
    if (t === undefined || Math.abs(Date.now() - t.getTime()) > MAX_CLOCK_SKEW_MS) {
      throw this.mapError('COPY', new Error(`copy ${src} -> ${dst} returned LastModified ${t?.toISOString() ?? 'none'}`));
    }
  }

  /** Deletes an object; deleting a missing object succeeds (S3 semantics). */
  async delete(key: string): Promise<void> {
    await this.#run('DELETE', () => this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key })));
  }

  async *list(prefix: string, stopAt?: string): AsyncGenerator<ListedObject> {
    try {
      yield* listObjects(this.client, this.name, prefix, this.pageSize, stopAt);
    } catch (err) {
      throw this.mapError('LIST', err);
    }
  }

  /**
   * True unless the last request failed for another reason than a missing object: a write
   * then checks S3 before it accepts a byte (see S3Volume.beginWrite).
   */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** Runs one request: maps its failure, and keeps `reachable` up to date. */
  async #run<T>(op: string, request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      this.#reachable = true;
      return result;
    } catch (err) {
      throw this.mapError(op, err);
    }
  }

  /** Maps a failure of a request on this bucket (also the uploads', which bypass this class). */
  mapError(op: string, err: unknown): Error {
    const mapped = mapS3Error(this.volumeUuid, op, err);
    if (mapped instanceof NotFoundError) this.#reachable = true;
    else if (mapped instanceof VolumeUnavailableError) this.#reachable = false;
    return mapped;
  }
}
