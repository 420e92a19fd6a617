"""Prometheus-style durations ("1h30m", "7500ms") and plain numbers, and
their division by a compression factor.

Prometheus, Alertmanager and pipeline_exporter all accept the same syntax:
one or more <integer><unit> terms, largest unit first, units y w d h m s ms.
"""

import re

UNITS_MS = (("y", 365 * 86400000), ("w", 7 * 86400000), ("d", 86400000),
            ("h", 3600000), ("m", 60000), ("s", 1000), ("ms", 1))
_TERM = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
# One duration token, as it appears in PromQL or YAML.
DURATION_RE = r"(?:\d+(?:ms|y|w|d|h|m|s))+"
_DURATION = re.compile(r"^%s$" % DURATION_RE)


def parse_ms(text):
    """Milliseconds of a duration; ValueError when it is not one."""
    text = str(text).strip()
    if not _DURATION.match(text):
        raise ValueError("not a duration: %r" % text)
    units = dict(UNITS_MS)
    return sum(int(n) * units[u] for n, u in _TERM.findall(text))


def seconds(text):
    """A duration in seconds (float)."""
    return parse_ms(text) / 1000.0


def format_ms(ms):
    """The shortest single-unit text for a whole number of milliseconds:
    7500 -> "7500ms", 15000 -> "15s", 3600000 -> "1h"; 0 -> "0s"."""
    ms = int(ms)
    if ms == 0:
        return "0s"
    for unit, size in UNITS_MS:
        if ms % size == 0:
            return "%d%s" % (ms // size, unit)
    raise AssertionError("unreachable")


def divide_duration(text, factor, minimum_ms=1):
    """(new text, new ms) of the duration text divided by factor, rounded to
    the millisecond and at least minimum_ms (a zero duration stays 0s). The
    text is kept as it is when the value does not change (factor 1)."""
    ms = parse_ms(text)
    if ms == 0:
        return text, 0
    scaled = max(int(round(ms / float(factor))), minimum_ms)
    return (text if scaled == ms else format_ms(scaled)), scaled


def format_number(value):
    """A number as PromQL text: integral values without a fraction, others
    with up to 6 decimals (microsecond precision for seconds)."""
    if float(value).is_integer():
        return "%d" % value
    return ("%.6f" % value).rstrip("0").rstrip(".")


def divide_number(text, factor):
    """The PromQL number literal text divided by factor; unchanged at 1."""
    value = float(text)
    scaled = value / float(factor)
    return text if scaled == value else format_number(scaled)
