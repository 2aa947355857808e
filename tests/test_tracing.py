"""OpenTelemetry tracing, switched on by ANSINH_TRACING: a span per operation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from schema import schema

exporter = InMemorySpanExporter()
trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
asyncio.run(schema.execute("query TracedProbe { __typename }"))
print(sorted({span.name for span in exporter.get_finished_spans()}))
"""


def test_tracing_spans_per_operation_when_enabled() -> None:
    env = {**os.environ, "ANSINH_TRACING": "1"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    assert "GraphQL Query: TracedProbe" in out.stdout, out.stdout + out.stderr
