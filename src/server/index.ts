/**
 * The wire server and its in-memory sibling: `startBrokerServer` (TCP listeners per broker, the `npm start`
 * server) and `createSocketFactory` (the genuine KafkaJS against an in-process cluster, no TCP). Both hand
 * frames to the same broker handlers through `BrokerConnection`.
 */
export {
  startBrokerServer,
  checkServerOptions,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type BrokerServer,
  type BrokerServerOptions,
  type BrokerListenerAddress,
} from './tcp-server.ts';
export { createSocketFactory, type SocketFactory, type SocketFactoryArgs, type SocketFactoryOptions, type ClusterSource } from './socket-factory.ts';
export { BrokerConnection, type BrokerConnectionOptions } from './broker-connection.ts';
export { StoppableRuntime } from './stoppable-runtime.ts';
