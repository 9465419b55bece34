"""What the user sees: a rich Live dashboard, or plain lines (``--plain`` or stdout not a TTY).

Both front-ends get the same event calls from the orchestrator. Every event also makes one short
text line: the plain UI prints it, the live UI shows the last few under the dashboard.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field

STATES = ("connecting", "listening", "hearing you", "thinking", "speaking")


@dataclass
class TurnView:
    turn_id: int
    """The number the client gave the turn (1, 2, ... over all connections)."""
    transcript: str = ""
    reply: str = ""
    e2e_ms: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False


@dataclass
class View:
    """Everything the dashboard shows."""

    state: str = "connecting"
    connection: str = ""
    level_db: float = -90.0
    mode: str = "open mic"
    ptt_talking: bool = False
    turns: deque[TurnView] = field(default_factory=lambda: deque(maxlen=6))
    underruns: int = 0
    barge_ins: int = 0
    echo_delay_ms: float | None = None
    echo_erle_db: float = 0.0
    echo_free: bool = False
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=6))

    def turn(self, turn_id: int) -> TurnView:
        for t in self.turns:
            if t.turn_id == turn_id:
                return t
        t = TurnView(turn_id)
        self.turns.append(t)
        return t


def stage_summary(stages: dict[str, float]) -> str:
    keys = ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms", "server_first_audio_ms")
    parts = [f"{k.removesuffix('_ms')}={stages[k]:.0f}" for k in keys if k in stages]
    return " ".join(parts)


class Ui:
    """Base: keeps the view and turns events into lines. Subclasses decide how to show them."""

    def __init__(self) -> None:
        self.view = View()
        self._numbers: dict[int, int] = {}
        """The current connection's turn ids (they restart per connection) -> the client's numbers."""
        self._count = 0
        self._retry_reason: str | None = None
        """The failure the last printed ``disconnected`` line named: repeats stay quiet."""

    def number(self, turn_id: int | None) -> int | None:
        """The turn's number on screen: counted by the client, so a reconnect never reuses one."""
        if turn_id is None:
            return None
        if turn_id not in self._numbers:
            self._count += 1
            self._numbers[turn_id] = self._count
        return self._numbers[turn_id]

    def _row(self, turn_id: int) -> TurnView:
        return self.view.turn(self.number(turn_id) or 0)

    # lifecycle -------------------------------------------------------------
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def line(self, text: str) -> None:
        self.view.lines.append(text)

    # events ----------------------------------------------------------------
    def set_state(self, state: str) -> None:
        self.view.state = state

    def level(self, db: float) -> None:
        self.view.level_db = db

    def connecting(self, url: str) -> None:
        self.set_state("connecting")
        self.view.connection = f"connecting to {url}"

    def connected(self, session_id: str, reply_rate: int, out_rate: int, resumed: bool = False) -> None:
        """A session is ready: a fresh turn numbering, and the state starts over at listening."""
        self._numbers.clear()
        self._retry_reason = None
        self.view.connection = f"connected (session {session_id[:8]})"
        resampled = "" if out_rate == reply_rate else f", resampled to {out_rate} Hz"
        again = " (conversation resumed)" if resumed else ""
        self.line(f"connected: session {session_id[:8]}, reply audio {reply_rate} Hz{resampled}{again}")
        self.set_state("listening")

    def disconnected(self, reason: str, retry_in: float) -> None:
        """Lost or could not open the connection; a retry follows in ``retry_in`` s. The same
        failure again is shown on the dashboard but not printed again."""
        self.set_state("connecting")
        self.view.connection = f"disconnected: {reason}; retrying in {retry_in:.1f} s"
        if reason != self._retry_reason:
            self._retry_reason = reason
            self.line(f"disconnected: {reason}; reconnecting in {retry_in:.1f} s")

    def no_node(self, url: str, reason: str, retry_in: float) -> None:
        """Nothing answers at ``url``: one line that says how to start a node, then quiet retries."""
        self.set_state("connecting")
        self.view.connection = f"no node at {url} ({reason}); retrying in {retry_in:.1f} s"
        key = f"no node: {reason}"
        if key != self._retry_reason:
            self._retry_reason = key
            self.line(f"no node answers at {url} ({reason}); scripts/serve.sh starts one. "
                      "Retrying quietly with backoff up to 8 s; Ctrl-C quits")

    def ready(self, text: str) -> None:
        self.line(text)

    def transcript(self, turn_id: int, text: str, replaces_turn: int | None = None) -> None:
        """What the user said; ``replaces_turn``: the user had only paused, that row is merged away."""
        if replaces_turn is not None and replaces_turn in self._numbers:
            gone = self._numbers[replaces_turn]
            for t in [t for t in self.view.turns if t.turn_id == gone]:
                self.view.turns.remove(t)
        self._row(turn_id).transcript = text
        self.line(f"you: {text}" if text else "(nothing intelligible heard)")

    def reply_delta(self, turn_id: int, text: str) -> None:
        self._row(turn_id).reply += text

    def reply_done(self, turn_id: int, text: str, interrupted: bool) -> None:
        if not interrupted:
            t = self._row(turn_id)
            t.reply = text
            self.line(f"assistant: {text}")
            return
        if self.number(turn_id) in [t.turn_id for t in self.view.turns]:
            self._row(turn_id).interrupted = True
        if text:  # withdrawn before a word of it was kept (a merged turn): nothing to show
            self.line(f"assistant (interrupted): {text}")

    def playback(self, kind: str, turn_id: int, played_ms: float) -> None:
        n = self.number(turn_id)
        if kind == "started":
            self.set_state("speaking")
            self.line(f"playing turn {n}")
        elif kind == "finished":
            self.set_state("listening")
            self.line(f"played turn {n}: {played_ms:.0f} ms")
        elif kind == "underrun":
            self.view.underruns += 1
            self.line(f"underrun in turn {n} after {played_ms:.0f} ms (total {self.view.underruns})")

    def latency(self, turn_id: int, e2e_ms: float | None, stages: dict[str, float]) -> None:
        t = self._row(turn_id)
        t.e2e_ms = e2e_ms if e2e_ms is not None else t.e2e_ms
        t.stages = stages
        e2e = f"{t.e2e_ms:.0f} ms" if t.e2e_ms is not None else "n/a"
        self.line(f"latency turn {t.turn_id}: {e2e} end-to-end ({stage_summary(stages)})")

    def barge_in(self, turn_id: int, played_ms: float, detail: str) -> None:
        self.view.barge_ins += 1
        t = self._row(turn_id)
        t.interrupted = True
        self.set_state("hearing you")
        self.line(f"barge-in: turn {t.turn_id} stopped after {played_ms:.0f} ms played ({detail})")

    def interrupted(self, turn_id: int, heard: str, generated: str) -> None:
        n = self.number(turn_id)
        self.line(f"interrupted turn {n} heard: {heard}")
        self.line(f"interrupted turn {n} generated: {generated}")

    def echo(self, delay_ms: float | None, erle_db: float, echo_free: bool = False) -> None:
        self.view.echo_delay_ms = delay_ms
        self.view.echo_erle_db = erle_db
        self.view.echo_free = echo_free

    def error(self, code: str, message: str) -> None:
        self.line(f"error: {code}: {message}")

    def info(self, text: str) -> None:
        self.line(text)


class PlainUi(Ui):
    """One printed line per event (scripts, logs, non-TTY stdout)."""

    def __init__(self, stream=None) -> None:
        super().__init__()
        self._out = stream or sys.stdout

    def line(self, text: str) -> None:
        super().line(text)
        print(text, file=self._out, flush=True)

    def set_state(self, state: str) -> None:
        if state != self.view.state:
            print(f"state: {state}", file=self._out, flush=True)
        super().set_state(state)


class LiveUi(Ui):
    """A rich Live dashboard, redrawn ten times a second."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console

        self._console = Console()
        self._live = None

    def start(self) -> None:
        from rich.live import Live

        self._live = Live(console=self._console, refresh_per_second=10, get_renderable=self.render, transient=False)
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def render(self):
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        v = self.view
        colours = {"listening": "green", "hearing you": "bold green", "thinking": "yellow", "speaking": "cyan"}
        head = Text.assemble(
            (f" {v.state.upper()} ", f"reverse {colours.get(v.state, 'red')}"), "  ",
            (v.mode + (" (talking)" if v.ptt_talking else ""), "bold"), "  ", (v.connection, "dim"),
        )
        width = 40
        filled = int(max(0.0, min(1.0, (v.level_db + 60.0) / 60.0)) * width)
        meter = Text.assemble(("mic ", "bold"), ("█" * filled, "green" if filled < 32 else "red"),
                              ("·" * (width - filled), "dim"), f" {v.level_db:5.1f} dBFS")
        grid = Table.grid(padding=(0, 1))
        grid.add_row(head)
        grid.add_row(meter)
        last = v.turns[-1] if v.turns else None
        if last is not None:
            grid.add_row(Text.assemble(("you: ", "bold green"), last.transcript or "…"))
            reply = last.reply + (" [interrupted]" if last.interrupted else "")
            grid.add_row(Text.assemble(("assistant: ", "bold cyan"), reply or "…"))
        turns = Table("turn", "end-to-end", "stages (ms)", box=None, header_style="bold")
        for t in v.turns:
            e2e = f"{t.e2e_ms:.0f} ms" if t.e2e_ms is not None else "-"
            turns.add_row(str(t.turn_id), e2e, stage_summary(t.stages))
        grid.add_row(turns)
        if v.echo_delay_ms is not None:
            echo = f"echo path {v.echo_delay_ms:.0f} ms, cancelled {v.echo_erle_db:.0f} dB"
        else:
            echo = "no echo heard (headphones?)" if v.echo_free else "echo path not learnt yet"
        grid.add_row(Text(f"underruns {v.underruns}   barge-ins {v.barge_ins}   {echo}", style="dim"))
        for line in v.lines:
            grid.add_row(Text(line, style="dim"))
        return Panel(grid, title="edge voice assistant", subtitle="Ctrl-C to quit")


def make_ui(plain: bool) -> Ui:
    """The live dashboard on a terminal, plain lines otherwise."""
    if plain or not sys.stdout.isatty():
        return PlainUi()
    return LiveUi()
