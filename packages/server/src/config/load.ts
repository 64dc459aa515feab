import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type ParsedConfig } from './schema.js';
import type { KeepstoreConfig } from './config.js';
import { resolveVolumeConfig } from '../volume/volume-config.js';

/** Raised for any unusable configuration; the message names the file and every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`).join('\n');
}

function parseText(text: string, file: string): unknown {
  try {
    return /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: cannot parse: ${(err as Error).message}`);
  }
}

function resolve(cfg: ParsedConfig, baseDir: string, source: string | null): KeepstoreConfig {
  const { blobSigningKeyFile, publicUrl, ...rest } = cfg;
  let key = cfg.blobSigningKey ?? '';
  if (blobSigningKeyFile !== undefined) {
    try {
      key = fs.readFileSync(path.resolve(baseDir, blobSigningKeyFile), 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`blobSigningKeyFile: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  if (cfg.blobSigning && key === '') {
    throw new ConfigError('blobSigning is on but no blobSigningKey or blobSigningKeyFile is set');
  }
  const priorityOf = (cls: string): number => cfg.storageClasses[cls]?.priority ?? 0;
  return {
    ...rest,
    publicUrl: (publicUrl ?? `http://${cfg.listen}`).replace(/\/+$/, ''),
    blobSigningKey: key,
    volumes: cfg.volumes.map((v) => ({
      ...resolveVolumeConfig(v, baseDir),
      priority: Math.max(...v.storageClasses.map(priorityOf)),
      blobSigningTTL: cfg.blobSigningTTL,
      blobTrashLifetime: cfg.blobTrashLifetime,
    })),
    source,
  };
}

/** Validate a config object (already parsed from JSON/YAML). */
export function configFromObject(raw: unknown, baseDir = process.cwd(), source: string | null = null): KeepstoreConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(`invalid configuration${source ? ` in ${source}` : ''}:\n${describeIssues(result.error.issues)}`);
  }
  return deepFreeze(resolve(result.data, baseDir, source));
}

/**
 * Load the configuration: `file` (from --config), else $KEEPSTORE_CONFIG, else the built-in
 * defaults (serve ./data on 127.0.0.1:25107). Relative paths in the file resolve against the
 * file's directory. This is the only module that reads process.env.
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): KeepstoreConfig {
  const chosen = file ?? env['KEEPSTORE_CONFIG'];
  if (chosen === undefined || chosen === '') return configFromObject({});
  const abs = path.resolve(chosen);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return configFromObject(parseText(text, abs), path.dirname(abs), abs);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
