"""Desktop client for the edge voice assistant (file mode and live microphone/speakers)."""
