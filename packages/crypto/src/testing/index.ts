export { devCaFile, type OpensslResult, opensslCmsVerify, opensslVerifyEnvelope } from './openssl.js';
