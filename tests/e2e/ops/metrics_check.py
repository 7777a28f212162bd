#!/usr/bin/env python3
"""metrics_check.py METRICS CALL_JSON -- parse a /metrics scrape (Prometheus text format 0.0.4)
and check it against what callprint-call reports it sent (one stream, stopped normally).

Format: every sample belongs to a family announced by HELP and TYPE; counters end in _total;
histogram buckets are cumulative, end with le="+Inf" equal to _count. Values: media messages
and bytes equal to those sent, one stream started and ended by "stop", none active."""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|NaN|\+Inf)$')


def parse(text):
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, typ = line.split(' ', 3)
            assert name not in types, 'family twice: ' + name
            types[name] = typ
        elif line.startswith('# HELP ') or not line:
            continue
        else:
            m = SAMPLE.match(line)
            assert m, 'bad sample line: %r' % line
            name, labels, value = m.group(1), m.group(2) or '', float(m.group(3))
            base = re.sub(r'_(bucket|sum|count)$', '', name)
            fam = name if name in types else base
            assert fam in types, 'sample before its TYPE: ' + line
            if types[fam] == 'counter':
                assert name.endswith('_total') and value >= 0, line
            samples[name + labels] = value
    return types, samples


def main():
    text = open(sys.argv[1]).read()
    call = json.loads(open(sys.argv[2]).read().splitlines()[0])
    types, s = parse(text)
    want = {
        'callprint_media_messages_total': call['sent']['media'],
        'callprint_media_bytes_total': call['sent']['audio_bytes'],
        'callprint_streams_started_total': 1,
        'callprint_streams_ended_total{reason="stop"}': 1,
        'callprint_streams_ended_total{reason="closed"}': 0,
        'callprint_streams_active': 0,
        'callprint_ws_connections_total': 1,
        'callprint_ws_messages_total': call['sent']['messages'],
        'callprint_decode_errors_total{kind="invalid_json"}': 0,
        'callprint_redis_up': 1,
    }
    for k, v in want.items():
        assert k in s, 'missing ' + k
        assert s[k] == v, '%s = %s, expected %s' % (k, s[k], v)
    assert s['callprint_resident_memory_bytes'] > 1e6
    assert s['callprint_uptime_seconds'] > 0
    for fam in ('callprint_webhook_latency_seconds',):
        assert types[fam] == 'histogram'
        buckets = [(k, v) for k, v in s.items() if k.startswith(fam + '_bucket')]
        vals = [v for _, v in buckets]
        assert vals == sorted(vals), 'buckets not cumulative'
        assert buckets[-1][0].endswith('le="+Inf"}') and vals[-1] == s[fam + '_count']
    for fam in ('callprint_verdicts_total', 'callprint_worker_queue_depth',
                'callprint_webhooks_delivered_total', 'callprint_redis_queued_writes',
                'callprint_spoof_results_total'):
        assert fam in types, 'family missing: ' + fam
    for r in ('bonafide', 'spoof', 'insufficient_speech'):
        assert 'callprint_spoof_results_total{result="%s"}' % r in s, 'spoof result missing: ' + r
    assert 'callprint_enrolments_total{outcome="spoofed"}' in s
    print('metrics: %d families, %d samples checked' % (len(types), len(s)))


if __name__ == '__main__':
    main()
