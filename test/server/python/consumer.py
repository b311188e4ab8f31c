"""
KafkaConsumer(topic, group_id=..., auto_offset_reset='earliest') with a JSON value_deserializer. It prints
every record it is given, then `processed` once it has EXPECTED of them, and then:
- `close`: consumer.close(), which commits what poll() returned (with auto-commit on) and leaves the group;
- `keep-polling`: goes on polling like a live application until the test kills it (bounded by --max-seconds);
- `until-marker`: ignores EXPECTED, reads until a record whose value has `"marker": true`, then closes.
The auto-commit interval stays kafka-python's default (5000 ms) unless --auto-commit-interval-ms is given.

usage: consumer.py BOOTSTRAP TOPIC GROUP EXPECTED (close|keep-polling|until-marker) [--no-auto-commit]
                   [--session-timeout-ms N] [--max-seconds N]
Every line is bounded by --max-seconds (default 30): not done by then, it prints an error and exits 1.
"""
import argparse
import json
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer

from common import before, deadline_after, emit, fail

parser = argparse.ArgumentParser()
parser.add_argument('bootstrap')
parser.add_argument('topic')
parser.add_argument('group')
parser.add_argument('expected', type=int)
parser.add_argument('then', choices=['close', 'keep-polling', 'until-marker'])
parser.add_argument('--no-auto-commit', action='store_true')
parser.add_argument('--session-timeout-ms', type=int, default=10000)
parser.add_argument('--max-seconds', type=float, default=30)
args = parser.parse_args()

consumer_options = {
    'bootstrap_servers': args.bootstrap.split(','),
    'client_id': 'kafkasim-python-consumer',
    'group_id': args.group,
    'auto_offset_reset': 'earliest',
    'enable_auto_commit': not args.no_auto_commit,
    'session_timeout_ms': args.session_timeout_ms,
    'heartbeat_interval_ms': min(3000, args.session_timeout_ms // 3),
    'value_deserializer': lambda value: json.loads(value.decode('utf-8')),
    'fetch_max_wait_ms': 200,
}
consumer = KafkaConsumer(**consumer_options)
emit('api_version', value=list(consumer.config['api_version']), auto_commit_interval_ms=consumer.config['auto_commit_interval_ms'])

assigned_at = []


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        pass

    def on_partitions_assigned(self, assigned):
        assigned_at.append(time.monotonic())
        emit('assigned', partitions=sorted([tp.topic, tp.partition] for tp in assigned))


consumer.subscribe([args.topic], listener=Listener())

deadline = deadline_after(args.max_seconds)
received = 0
is_marker_seen = False


def is_done():
    return is_marker_seen if args.then == 'until-marker' else received >= args.expected


while before(deadline) and not is_done():
    for tp, records in consumer.poll(timeout_ms=200).items():
        for record in records:
            received += 1
            emit('record', partition=record.partition, offset=record.offset, key=record.key.decode('utf-8') if record.key else None, value=record.value)
            is_marker_seen = is_marker_seen or (isinstance(record.value, dict) and record.value.get('marker') is True)
if not is_done():
    fail('timed out after %s s with %d records (%s)' % (args.max_seconds, received, 'no marker' if args.then == 'until-marker' else 'expected %d' % args.expected))
since_assignment_ms = round((time.monotonic() - assigned_at[-1]) * 1000) if assigned_at else None
emit('processed', count=received, since_assignment_ms=since_assignment_ms)

if args.then == 'keep-polling':
    while before(deadline):
        for tp, records in consumer.poll(timeout_ms=200).items():
            for record in records:
                emit('record', partition=record.partition, offset=record.offset, value=record.value)
    fail('not killed within %s s' % args.max_seconds)

consumer.close()
emit('closed')
