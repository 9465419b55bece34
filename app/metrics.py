"""Prometheus metrics of one node (prometheus-client, a registry per server instance)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Buckets around the 500 ms budget: fine below it, coarse above.
_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
STAGES = ("endpoint_wait_ms", "stt_ms", "turn_model_ms", "llm_first_token_ms", "first_clause_ms",
          "tts_first_audio_ms", "llm_total_ms", "server_first_audio_ms")
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Counters, gauges and histograms an operator scrapes from ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.active_sessions = Gauge("edgevoice_active_sessions", "Open websocket sessions.", registry=r)
        self.max_sessions = Gauge("edgevoice_max_sessions", "Admission limit of this node.", registry=r)
        self.draining = Gauge("edgevoice_draining", "1 while the node drains before shutting down.", registry=r)
        self.turns = Counter("edgevoice_turns", "Committed user turns.", ["pipeline"], registry=r)
        self.errors = Counter("edgevoice_errors", "Error events sent to clients, by code.", ["code"], registry=r)
        self.rejected = Counter("edgevoice_rejected_connections", "Connections refused, by reason.", ["reason"],
                                registry=r)
        self.stage_seconds = Histogram("edgevoice_stage_seconds", "Server-side duration of each turn stage.",
                                       ["stage"], buckets=_LATENCY_BUCKETS, registry=r)
        self.turn_seconds = Histogram(
            "edgevoice_turn_latency_seconds",
            "End of user speech to first reply audio leaving the server (endpoint wait + server time; "
            "the client adds the network).",
            buckets=_LATENCY_BUCKETS, registry=r)
        self.rollouts = Counter("edgevoice_model_rollouts", "Model rollouts, by outcome (done or refused).",
                                ["outcome"], registry=r)
        self.model_info = Gauge("edgevoice_model_info", "Models in use (value 1), by manifest version and role.",
                                ["manifest_version", "role", "name", "version"], registry=r)

    def observe_turn(self, pipeline: str, stages: Mapping[str, float]) -> None:
        """Record one finished turn's ``turn_timing`` stages (ms)."""
        self.turns.labels(pipeline).inc()
        for stage in STAGES:
            if stage in stages:
                self.stage_seconds.labels(stage).observe(stages[stage] / 1000.0)
        if "endpoint_wait_ms" in stages and "server_first_audio_ms" in stages:
            self.turn_seconds.observe((stages["endpoint_wait_ms"] + stages["server_first_audio_ms"]) / 1000.0)

    def set_models(self, info: Mapping[str, Any]) -> None:
        """Publish the models in use (``ResolvedModels.as_dict()``), replacing the previous ones."""
        self.model_info.clear()
        for role, model in info.get("models", {}).items():
            self.model_info.labels(info.get("manifest_version", ""), role, model["name"], model["version"]).set(1)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
