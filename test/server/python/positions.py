"""
kafka-python's producer settings and a manually assigned KafkaConsumer against kafkasim: acks 0, 1 and all,
gzip, keys, headers and explicit timestamps; a record over the topic's max.message.bytes
(MessageSizeTooLargeError); a topic that does not exist while auto-creation is off (the send times out
waiting for metadata); then beginning/end offsets, offsets_for_times, seek, seek_to_beginning/end,
position, commit/committed, and a seek past the end with auto_offset_reset 'latest' and 'none'.

Timestamps are a minute before now: retention.ms (7 days) counts from the record timestamps, so older
ones would be deleted by the broker's retention check, in Kafka as here.

usage: positions.py BOOTSTRAP TOPIC SMALL_TOPIC MISSING_TOPIC
"""
import os
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from common import emit

bootstrap, topic, small_topic, missing_topic = sys.argv[1].split(','), sys.argv[2], sys.argv[3], sys.argv[4]
T0 = int(time.time() * 1000) - 60000


def failure(error):
    return {'error': type(error).__name__, 'errno': getattr(error, 'errno', None)}


sent = []
for acks in (0, 1, 'all'):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=acks, compression_type='gzip', max_in_flight_requests_per_connection=1,
                             request_timeout_ms=10000, max_block_ms=10000)
    for i in range(3):
        n = len(sent)
        metadata = producer.send(topic, key=b'key-%d' % n, value=b'value-%d' % n, partition=0, timestamp_ms=T0 + n * 1000,
                                 headers=[('acks', str(acks).encode()), ('empty', b'')]).get(timeout=10)
        sent.append({'acks': str(acks), 'offset': metadata.offset})
    producer.close(timeout=10)
emit('sent', records=sent)

producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', max_request_size=1_000_000, max_block_ms=2000, request_timeout_ms=10000)
try:
    producer.send(small_topic, os.urandom(20_000)).get(timeout=10)
    emit('too_large', outcome='sent')
except KafkaError as error:
    emit('too_large', outcome=failure(error))
emit('small_after', offset=producer.send(small_topic, b'fits').get(timeout=10).offset)
started = time.monotonic()
try:
    producer.send(missing_topic, b'nowhere').get(timeout=10)
    emit('missing_topic', outcome='sent')
except KafkaError as error:
    emit('missing_topic', outcome=failure(error), seconds=round(time.monotonic() - started, 1))
producer.close(timeout=10)

tp = TopicPartition(topic, 0)
consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id='py-positions', enable_auto_commit=False, fetch_max_wait_ms=100)
consumer.assign([tp])
emit('offsets', beginning=consumer.beginning_offsets([tp])[tp], end=consumer.end_offsets([tp])[tp])
found = consumer.offsets_for_times({tp: T0 + 3500})[tp]
emit('offsets_for_times', offset=found.offset, timestamp=found.timestamp - T0,
     after_last=consumer.offsets_for_times({tp: T0 + 60000})[tp], first=consumer.offsets_for_times({tp: 0})[tp].offset)
emit('committed_before', offset=consumer.committed(tp))

consumer.seek(tp, 4)
emit('position_after_seek', offset=consumer.position(tp))
records = []
while len(records) < 3:
    for batch in consumer.poll(timeout_ms=1000, max_records=3 - len(records)).values():
        records.extend({'offset': r.offset, 'key': r.key.decode(), 'value': r.value.decode(), 'timestamp': r.timestamp - T0,
                        'timestamp_type': r.timestamp_type, 'headers': [[k, v.decode()] for k, v in r.headers]} for r in batch)
emit('records', records=records, position=consumer.position(tp))

consumer.seek_to_end(tp)
at_end = consumer.position(tp)
consumer.seek_to_beginning(tp)
emit('seek_to', end=at_end, beginning=consumer.position(tp))
consumer.commit({tp: OffsetAndMetadata(7, 'checkpoint')})
emit('committed', offset=consumer.committed(tp))

consumer.seek(tp, 100)
consumer.poll(timeout_ms=1000)
emit('reset_latest', position=consumer.position(tp))
consumer.close()

strict = KafkaConsumer(bootstrap_servers=bootstrap, group_id='py-positions-strict', enable_auto_commit=False, auto_offset_reset='none', fetch_max_wait_ms=100)
strict.assign([tp])
strict.seek(tp, 100)
try:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        strict.poll(timeout_ms=200)
    emit('reset_none', outcome='no error')
except KafkaError as error:
    emit('reset_none', outcome=failure(error))
strict.close()
emit('closed')
