import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isMissingObject, mapS3Error } from './s3-errors.js';
import { listObjects, type ListedObject } from './s3-listing.js';

/** Size and LastModified of one object. */
export interface ObjectStat {
  size: number;
  lastModified: Date;
}

/** A copy reporting a LastModified further than this from our clock did not really happen. */
const MAX_CLOCK_SKEW_MS = 600_000; // 10 min, as Arvados

/**
 * The object operations an S3 volume uses, on one bucket, each with its failure mapped once:
 * a missing object is null (head) or NotFoundError, anything else VolumeUnavailableError (503).
 */
export class S3Bucket {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    readonly volumeUuid: string,
    readonly pageSize: number,
  ) {}

  /** Fails unless the bucket exists and our credentials may use it (start-up check). */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.name }));
  }

  async head(key: string): Promise<ObjectStat | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
      return { size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw this.#map('HEAD', err);
    }
  }

  /** Streams an object; the caller must consume or destroy the stream. */
  async get(key: string, signal?: AbortSignal): Promise<{ stream: Readable; size: number; lastModified: Date }> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }), { abortSignal: signal });
      return { stream: r.Body as Readable, size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
    } catch (err) {
      throw this.#map('GET', err);
    }
  }

  /** Writes an empty object (a recent/ marker): its LastModified becomes now. */
  async putEmpty(key: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: Buffer.alloc(0), ContentLength: 0 }));
    } catch (err) {
      throw this.#map('PUT', err);
    }
  }

  /**
   * Server-side copy; NotFoundError if `src` is missing. S3 can report a failed copy inside a
   * 200 answer, so the copy counts only if it returned a fresh LastModified.
   */
  async copy(dst: string, src: string): Promise<void> {
    let r;
    try {
      r = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.name,
          Key: dst,
          CopySource: `${this.name}/${src}`,
          ContentType: 'application/octet-stream',
          MetadataDirective: 'REPLACE',
        }),
      );
    } catch (err) {
      throw this.#map('COPY', err);
    }
    const t = r.CopyObjectResult?.LastModified;
    if (t === undefined || Math.abs(Date.now() - t.getTime()) > MAX_CLOCK_SKEW_MS) {
      throw this.#map('COPY', new Error(`copy ${src} -> ${dst} returned LastModified ${t?.toISOString() ?? 'none'}`));
    }
  }

  /** Deletes an object; deleting a missing object succeeds (S3 semantics). */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
    } catch (err) {
      throw this.#map('DELETE', err);
    }
  }

  async *list(prefix: string, stopAt?: string): AsyncGenerator<ListedObject> {
    try {
      yield* listObjects(this.client, this.name, prefix, this.pageSize, stopAt);
    } catch (err) {
      throw this.#map('LIST', err);
    }
  }

  #map(op: string, err: unknown): Error {
    return mapS3Error(this.volumeUuid, op, err);
  }
}
