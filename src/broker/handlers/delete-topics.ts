/**
 * DeleteTopics (key 20), v0-6, answered as Kafka's KRaft controller does (`ControllerApis.deleteTopics`,
 * `ReplicationControlManager.findTopicIds/findTopicNames/deleteTopics`):
 * - `delete.topic.enable=false` fails every topic: INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED from v3,
 *   with no message (Kafka's whole-request error response);
 * - v0-5 name topics; v6 names or ids, never both ("You may not specify both topic name and topic id."),
 *   never neither; a name or id given twice gets one INVALID_REQUEST answer ("Duplicate topic name." /
 *   "Duplicate topic id."), and a name that resolves to an id also given is refused ("The provided topic name
 *   maps to an ID that was already supplied.") while that id gets no answer at all, as in Kafka;
 * - an unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID, both with Kafka's default
 *   message (v5+ carries messages);
 * - a deleted topic answers with its name and id; brokers drop its replicas and logs when the image reaches
 *   them, so the topic lingers on a broker cut off from the controller, as in Kafka.
 * Internal topics can be deleted: KRaft does not refuse them.
 * Leaves out: authorization, controller mutation quotas (THROTTLING_QUOTA_EXCEEDED) and `timeoutMs` (the
 * controller answers at once). Answers come in request order where Kafka shuffles them.
 */
import { ApiKey, ErrorCode, ZERO_UUID, type DeleteTopicsResponseDeletableTopicResultInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

type TopicResult = DeleteTopicsResponseDeletableTopicResultInput;

const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition.';
const UNKNOWN_TOPIC_ID_MESSAGE = 'This server does not host this topic ID.';

/** One requested topic as v6 spells it; v0-5 names become `{ name, topicId: ZERO_UUID }`. */
interface Requested {
  readonly name: string | null;
  readonly topicId: string;
}

export const deleteTopicsHandler = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle: ({ broker, header }, request) => {
    const requested: Requested[] =
      header.apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));

    if (!broker.config.bool('delete.topic.enable')) {
      const errorCode = header.apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
      return {
        throttleTimeMs: 0,
        responses: requested.map((topic) => ({ name: topic.name, topicId: topic.topicId, errorCode, errorMessage: null })),
      };
    }

    const nameCounts = new Map<string, number>();
    const idCounts = new Map<string, number>();
    for (const topic of requested) {
      if (topic.name !== null && topic.topicId === ZERO_UUID) nameCounts.set(topic.name, (nameCounts.get(topic.name) ?? 0) + 1);
      if (topic.name === null && topic.topicId !== ZERO_UUID) idCounts.set(topic.topicId, (idCounts.get(topic.topicId) ?? 0) + 1);
    }
    const image = broker.controller.current;
    const nameById = new Map([...image.topics.values()].map((t) => [t.topicId, t.name]));
    // Ids given directly: a name resolving to one of them is refused and the id itself is left unanswered.
    const idsGiven = new Set([...idCounts.keys()].filter((id) => nameById.has(id)));
    const idsClaimedByName = new Set<string>();
    for (const [name, count] of nameCounts) {
      const id = image.topics.get(name)?.topicId;
      if (count === 1 && id !== undefined && idsGiven.has(id)) idsClaimedByName.add(id);
    }

    const answered = new Set<string>();
    const responses: TopicResult[] = [];
    const answer = (name: string | null, topicId: string, errorCode: number, errorMessage: string | null): void => {
      responses.push({ name, topicId, errorCode, errorMessage });
    };
    for (const topic of requested) {
      if (topic.name === null && topic.topicId === ZERO_UUID) {
        answer(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.');
        continue;
      }
      if (topic.name !== null && topic.topicId !== ZERO_UUID) {
        answer(topic.name, topic.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
        continue;
      }
      if (topic.name !== null) {
        const name = topic.name;
        if (answered.has(`name:${name}`)) continue;
        answered.add(`name:${name}`);
        if (nameCounts.get(name)! > 1) {
          answer(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
          continue;
        }
        const registration = image.topics.get(name);
        if (registration === undefined) {
          answer(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE);
          continue;
        }
        if (idsClaimedByName.has(registration.topicId) || (idCounts.get(registration.topicId) ?? 0) > 1) {
          answer(name, registration.topicId, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.');
          continue;
        }
        broker.controller.deleteTopic(name);
        answer(name, registration.topicId, ErrorCode.NONE, null);
        continue;
      }
      const topicId = topic.topicId;
      if (answered.has(`id:${topicId}`)) continue;
      answered.add(`id:${topicId}`);
      if (idCounts.get(topicId)! > 1) {
        answer(null, topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.');
        continue;
      }
      if (idsClaimedByName.has(topicId)) continue;
      const name = nameById.get(topicId);
      if (name === undefined) {
        answer(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID_MESSAGE);
        continue;
      }
      broker.controller.deleteTopic(name);
      answer(name, topicId, ErrorCode.NONE, null);
    }
    broker.adoptForwardedChange();
    return { throttleTimeMs: 0, responses };
  },
});
