"""``python -m client``: talk to the edge server from a WAV file or the microphone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client", description="Edge voice assistant desktop client.")
    parser.add_argument("--server", default="ws://127.0.0.1:8765", help="server URL (default %(default)s)")
    parser.add_argument("--input-wav", type=Path, help="stream this recording instead of the microphone")
    parser.add_argument("--output-wav", type=Path, help="write the reply audio to this WAV file")
    parser.add_argument("--pipeline", choices=["fast", "naive"], default="fast", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the reply in file mode")
    parser.add_argument("--log-level", default="WARNING", type=str.upper)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level)

    if args.input_wav is not None:
        from client.file_mode import run_file

        if not args.input_wav.is_file():
            print(f"error: no such file: {args.input_wav}", file=sys.stderr)
            return 2
        try:
            result = asyncio.run(run_file(args.server, args.input_wav, output_path=args.output_wav,
                                          timeout_s=args.timeout, pipeline=args.pipeline))
        except (OSError, ConnectionError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except TimeoutError:
            print(f"error: no complete reply within {args.timeout:.0f} s", file=sys.stderr)
            return 1
        if args.output_wav is not None:
            seconds = result.reply_audio.shape[0] / max(1, result.output_rate)
            print(f"wrote {seconds:.1f} s of reply audio to {args.output_wav}")
        return 0 if result.replies and not result.errors else 1

    from client.live import run_live

    try:
        return asyncio.run(run_live(args.server, output_wav=args.output_wav))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
