"""
KafkaAdminClient against kafkasim where a broker refuses or reports something: invalid topics, partition
changes, configs, deletes, and the consumer-group APIs around one committed group, one active group and one
that does not exist. Each check prints one event with the error class kafka-python raised (or the shape it
returned), so the test compares them with what a Kafka broker answers.

usage: admin_errors.py BOOTSTRAP
"""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.structs import OffsetAndMetadata

from common import before, deadline_after, emit, fail

bootstrap = sys.argv[1].split(',')
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='kafkasim-python-admin-errors', request_timeout_ms=10000)


def outcome(name, call):
    """Runs an admin call; emits what it returned (by `shape`) or the error it raised."""
    try:
        emit(name, ok=True, value=call())
    except Exception as error:  # the error class is what the test checks
        emit(name, ok=False, error=type(error).__name__, errno=getattr(error, 'errno', None))


def topic_errors(response):
    return [[t[0], t[1]] for t in response.topic_errors]


outcome('create', lambda: topic_errors(admin.create_topics([NewTopic('py-admin', 2, 3, topic_configs={'retention.ms': '3600000'})])))
outcome('create_invalid_name', lambda: admin.create_topics([NewTopic('bad name!', 1, 1)]))
outcome('create_too_many_replicas', lambda: admin.create_topics([NewTopic('py-rf', 1, 4)]))
outcome('create_zero_partitions', lambda: admin.create_topics([NewTopic('py-zero', 0, 1)]))
outcome('create_unknown_config', lambda: admin.create_topics([NewTopic('py-config', 1, 1, topic_configs={'no.such.config': '1'})]))
outcome('create_validate_only', lambda: topic_errors(admin.create_topics([NewTopic('py-dry-run', 1, 1)], validate_only=True)))

outcome('create_partitions', lambda: topic_errors(admin.create_partitions({'py-admin': NewPartitions(4)})))
outcome('create_partitions_fewer', lambda: admin.create_partitions({'py-admin': NewPartitions(3)}))
outcome('create_partitions_unknown', lambda: admin.create_partitions({'py-nowhere': NewPartitions(3)}))


def described_configs(resource):
    [response] = admin.describe_configs([resource])
    [(error_code, _, _, name, entries)] = response.resources
    # Each entry: [value, config_source] (1: a topic override, 5: Kafka's default).
    return {'error_code': error_code, 'name': name, 'configs': {e[0]: [e[1], e[3]] for e in entries}}


outcome('describe_configs', lambda: described_configs(ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': None, 'cleanup.policy': None})))
outcome('alter_configs', lambda: [list(r[:2]) for r in admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': '7200000'})]).resources])
# AlterConfigs answers once the controller has the change; brokers learn it a moment later (in Kafka as here).
deadline = deadline_after(10)
while described_configs(ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': None}))['configs']['retention.ms'][0] != '7200000' and before(deadline):
    time.sleep(0.02)
outcome('describe_configs_altered', lambda: described_configs(ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': None})))
outcome('alter_configs_unknown_name', lambda: [list(r[:2]) for r in admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'no.such.config': '1'})]).resources])
outcome('describe_configs_unknown_topic', lambda: described_configs(ConfigResource(ConfigResourceType.TOPIC, 'py-nowhere')))

# A simple (assign-only) consumer commits: the group exists with an empty protocol type and no members.
committer = KafkaConsumer(bootstrap_servers=bootstrap, group_id='py-committed', enable_auto_commit=False)
committer.assign([TopicPartition('py-admin', 0)])
committer.commit({TopicPartition('py-admin', 0): OffsetAndMetadata(2, 'from-python')})
committer.close()

# A subscribed consumer keeps its group non-empty while the admin looks at it.
member = KafkaConsumer(bootstrap_servers=bootstrap, group_id='py-active', enable_auto_commit=False, fetch_max_wait_ms=100)
member.subscribe(['py-admin'])
deadline = deadline_after(20)
while not member.assignment() and before(deadline):
    member.poll(timeout_ms=100)
if not member.assignment():
    fail('py-active was never assigned partitions')

outcome('list_groups', lambda: sorted([g[0], g[1]] for g in admin.list_consumer_groups() if g[0].startswith('py-')))
outcome('describe_groups', lambda: [
    {'group': g.group, 'state': g.state, 'protocol_type': g.protocol_type, 'protocol': g.protocol,
     'members': [sorted([t, sorted(p)] for t, p in m.member_assignment.assignment) for m in g.members]}
    for g in admin.describe_consumer_groups(['py-committed', 'py-active', 'py-never'])
])
outcome('group_offsets', lambda: {'%s-%d' % (tp.topic, tp.partition): [o.offset, o.metadata] for tp, o in admin.list_consumer_group_offsets('py-committed').items()})
outcome('group_offsets_partitions', lambda: {'%s-%d' % (tp.topic, tp.partition): o.offset for tp, o in admin.list_consumer_group_offsets(
    'py-committed', partitions=[TopicPartition('py-admin', 0), TopicPartition('py-admin', 1)]).items()})
outcome('delete_groups', lambda: [[g, error.__name__] for g, error in admin.delete_consumer_groups(['py-committed', 'py-active', 'py-never'])])
member.close()
# Once its only member left, the group is empty and can go.
outcome('delete_groups_after_leave', lambda: [[g, error.__name__] for g, error in admin.delete_consumer_groups(['py-active'])])
outcome('list_groups_after_delete', lambda: sorted(g[0] for g in admin.list_consumer_groups() if g[0].startswith('py-')))

outcome('delete_topics_unknown', lambda: admin.delete_topics(['py-nowhere']))
outcome('delete_topics', lambda: [[t[0], t[1]] for t in admin.delete_topics(['py-admin']).topic_error_codes])
deadline = deadline_after(10)
while 'py-admin' in admin.list_topics() and before(deadline):
    time.sleep(0.05)
emit('topics_left', topics=sorted(t for t in admin.list_topics() if t.startswith('py-')))
admin.close()
emit('closed')
