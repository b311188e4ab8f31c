"""
KafkaAdminClient against kafkasim: creates a topic, creates it again (TopicAlreadyExistsError, Kafka's error
36), then lists topics until it appears (CreateTopics answers once the controller has the topic; brokers learn
it a moment later, in Kafka as here) and describes it.

usage: admin.py BOOTSTRAP TOPIC PARTITIONS REPLICATION_FACTOR
"""
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from common import before, deadline_after, emit, fail

bootstrap, topic, partitions, replication_factor = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(','), client_id='kafkasim-python-admin', request_timeout_ms=10000)
# kafka-python probes the broker with ApiVersions and maps the answer to a Kafka release.
emit('api_version', value=list(admin.config['api_version']))

response = admin.create_topics([NewTopic(topic, partitions, replication_factor)], timeout_ms=10000)
emit('created', topics=[[name, code] for name, code, *_ in response.topic_errors])

try:
    admin.create_topics([NewTopic(topic, partitions, replication_factor)], timeout_ms=10000)
    emit('created_again')
except KafkaError as error:
    emit('create_again_failed', error=type(error).__name__, errno=getattr(error, 'errno', None))

deadline = deadline_after(10)
topics = admin.list_topics()
while topic not in topics and before(deadline):
    time.sleep(0.1)
    topics = admin.list_topics()
if topic not in topics:
    fail('%s never appeared in list_topics: %s' % (topic, topics))
emit('listed', topics=sorted(topics))

described = admin.describe_topics([topic])
emit('described', topics=[{'topic': t['topic'], 'error_code': t['error_code'], 'partitions': sorted(p['partition'] for p in t['partitions']),
                            'replicas': sorted(len(p['replicas']) for p in t['partitions'])} for t in described])
admin.close()
emit('closed')
