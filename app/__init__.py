"""Edge voice assistant server: VAD -> STT -> LLM -> TTS over one websocket per session."""
