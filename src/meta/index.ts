// The metadata layer: the container format, atomic files, and the NFS-safe lock.
export { MetaError, LockError } from './errors.js';
export type { MetaErrorCode, LockErrorCode, LockHolder } from './errors.js';
export { encodeMeta, decodeMeta, frameMeta, metaHeaderSize, META_MAGIC, META_FORMAT_VERSION, META_KIND_MAX, META_BODY_MAX } from './format.js';
export type { MetaRecord, DecodeOptions } from './format.js';
export {
  writeMetaFile, writeMetaFileSync, readMetaFile, readMetaFileSync, readMetaFileIfExists, readMetaFileIfExistsSync,
  readMetaFileWithHeader, readMetaFileWithHeaderSync, metaTempPath, syncDir, syncDirSync,
} from './file.js';
export type { WriteMetaOptions, ReadMetaOptions } from './file.js';
export { withLock, updateMetaFile } from './lock.js';
export type { LockOptions } from './lock.js';
