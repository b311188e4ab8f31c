/**
 * The wire server and its in-memory sibling: `startBrokerServer` (TCP listeners per broker, the `npm start`
 * server) and `createSocketFactory` (the genuine KafkaJS against an in-process cluster, no TCP). Both hand
 * frames to the same broker handlers through `BrokerConnection`. The client side of the wire too: `TcpTransport`
 * and `createTcpKafka` (our client over TCP), and the read-only introspection endpoint `kafkasim dump-log` reads.
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
export { TcpTransport, SocketConnectError, createTcpKafka, tcpEnvironment, type TcpTransportOptions, type TcpKafkaOptions } from './tcp-transport.ts';
export {
  startIntrospectionServer,
  dumpPartitionLog,
  type IntrospectionServer,
  type LogDump,
  type SegmentDump,
  type BatchDump,
  type RecordDump,
} from './introspection.ts';
