"""
Shared by the kafka-python scripts the wire tests run (test/server/kafka-python.test.ts): one JSON object per
stdout line, flushed at once so the test sees progress while the process lives (it may be SIGKILLed), and a
hard deadline on every loop so no script outlives its test. Run with Debian's /usr/bin/python3, for which
the python3-kafka package installs kafka-python.
"""
import json
import sys
import time


def emit(event, **fields):
    print(json.dumps({'event': event, **fields}), flush=True)


def deadline_after(seconds):
    return time.monotonic() + seconds


def before(deadline):
    return time.monotonic() < deadline


def fail(message):
    emit('error', message=message)
    sys.exit(1)
