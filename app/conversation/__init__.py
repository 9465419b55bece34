"""The conversation, sans-I/O: ``Session`` and the vocabulary it shares with its connection.

Nothing in this package awaits, reads a clock or touches a socket or a model (see the README's
Architecture section for the import rule).
"""

from app.conversation.effects import (
    CallFunction,
    CancelTurn,
    CloseConnection,
    DeleteSession,
    Effect,
    FunctionCalled,
    LoadSession,
    Outbox,
    ReplySpeech,
    ReplyText,
    SaveSession,
    Send,
    SendAudio,
    StartTurn,
    ToolUsed,
    Transcribed,
    TurnEvent,
    TurnEventSink,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
    WakeAt,
    WordsPredicted,
)
from app.conversation.handshake import Phase
from app.conversation.session import Session
from app.conversation.turn import TurnState

__all__ = [
    "CallFunction", "CancelTurn", "CloseConnection", "DeleteSession", "Effect", "FunctionCalled", "LoadSession",
    "Outbox", "Phase", "ReplySpeech", "ReplyText", "SaveSession", "Send", "SendAudio", "Session", "StartTurn",
    "ToolUsed", "Transcribed", "TurnEvent", "TurnEventSink", "TurnFailed", "TurnFinished", "TurnPredicted",
    "TurnState", "WakeAt", "WordsPredicted",
]
