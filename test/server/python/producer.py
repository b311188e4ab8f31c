"""
KafkaProducer with a JSON value_serializer, sending the three ways kafka-python offers: fire-and-forget then
flush(), blocking on future.get(timeout=10) for the partition and offset, and add_callback/add_errback.

usage: producer.py BOOTSTRAP TOPIC COUNT_PER_WAY
"""
import json
import sys

from kafka import KafkaProducer

from common import emit

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = KafkaProducer(
    bootstrap_servers=bootstrap.split(','),
    client_id='kafkasim-python-producer',
    value_serializer=lambda value: json.dumps(value).encode('utf-8'),
    key_serializer=lambda key: None if key is None else key.encode('utf-8'),
    request_timeout_ms=10000,
    max_block_ms=10000,
)
emit('api_version', value=list(producer.config['api_version']))

for i in range(count):
    producer.send(topic, {'way': 'fire-and-forget', 'i': i})
producer.flush(timeout=10)
emit('flushed', way='fire-and-forget', count=count)

for i in range(count):
    metadata = producer.send(topic, key='sync-%d' % (i % 2), value={'way': 'sync', 'i': i}).get(timeout=10)
    emit('sent', way='sync', i=i, topic=metadata.topic, partition=metadata.partition, offset=metadata.offset)

acknowledged = []
failed = []
for i in range(count):
    future = producer.send(topic, {'way': 'callback', 'i': i})
    future.add_callback(lambda metadata, i=i: acknowledged.append({'i': i, 'partition': metadata.partition, 'offset': metadata.offset}))
    future.add_errback(lambda error, i=i: failed.append({'i': i, 'error': repr(error)}))
producer.flush(timeout=10)
emit('callbacks', acknowledged=acknowledged, failed=failed)

producer.close(timeout=10)
emit('closed')
