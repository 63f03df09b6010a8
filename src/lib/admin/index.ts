export { startAdminSocket, type AdminSocket, type AdminSocketOptions } from './socket-server.js';
export { adminSocketPath, ADMIN_SOCKET_NAME } from './protocol.js';
export { runAdminOperation, usesEmbeddedStores } from './dispatch.js';
export {
  adminOperations,
  executeAdminOperation,
  type AdminInput,
  type AdminOperationName,
  type AdminResult,
  type CompletedAdminOperation,
} from './operations.js';
