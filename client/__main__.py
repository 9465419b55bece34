"""``python -m client``: talk to the edge server from a WAV file or the microphone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client", description="Edge voice assistant desktop client.")
    parser.add_argument("--server", default="ws://127.0.0.1:8765",
                        help="server URL (default %(default)s; live mode waits for it, retrying with backoff "
                             "up to 8 s, until Ctrl-C)")
    parser.add_argument("--input-wav", type=Path, help="stream this recording instead of the microphone")
    parser.add_argument("--output-wav", type=Path, help="write the reply audio to this WAV file")
    parser.add_argument("--pipeline", choices=["fast", "naive"], default="fast", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the reply in file mode")
    parser.add_argument("--log-level", default="WARNING", type=str.upper)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="live mode: developer statistics (echo, underruns, mic lag) at exit; also at DEBUG")
    live = parser.add_argument_group("live mode (microphone and speakers)")
    live.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    live.add_argument("--input-device", help="microphone: PortAudio index or (part of) its name")
    live.add_argument("--output-device", help="speaker: PortAudio index or (part of) its name")
    live.add_argument("--push-to-talk", action="store_true", help="press Enter to start and stop talking")
    live.add_argument("--plain", action="store_true", help="print plain lines instead of the live display")
    live.add_argument("--barge-in-min-ms", type=int, default=200,
                      help="voiced speech over a reply that interrupts it (default %(default)s ms)")
    live.add_argument("--barge-in-pause-ms", type=int, default=None,
                      help="voiced speech after which the reply is held until the barge-in is confirmed "
                           "(resumes if shorter than --barge-in-min-ms; default half of it)")
    live.add_argument("--prebuffer-ms", type=float, default=100.0,
                      help="reply audio buffered before playback starts (default %(default)s ms)")
    live.add_argument("--no-echo-cancel", action="store_true",
                      help="do not suppress the speaker's echo (headphones only)")
    live.add_argument("--token", default=os.environ.get("EDGE_VOICE_TOKEN"),
                      help="API token for the node (default: $EDGE_VOICE_TOKEN)")
    live.add_argument("--dump-audio", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level)

    if args.list_devices:
        from client.audio_devices import list_devices

        try:
            print(list_devices())
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    if args.input_wav is not None:
        from client.file_mode import run_file

        if not args.input_wav.is_file():
            print(f"error: no such file: {args.input_wav}", file=sys.stderr)
            return 2
        try:
            result = asyncio.run(run_file(args.server, args.input_wav, output_path=args.output_wav,
                                          timeout_s=args.timeout, pipeline=args.pipeline))
        except (OSError, ValueError) as exc:  # TimeoutError and ConnectionError are OSErrors
            print(f"error: {str(exc) or exc.__class__.__name__}", file=sys.stderr)
            return 1
        if args.output_wav is not None:
            seconds = result.reply_audio.shape[0] / max(1, result.output_rate)
            print(f"wrote {seconds:.1f} s of reply audio to {args.output_wav}")
        problem = result.problem(args.input_wav)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
        return 0 if problem is None and not result.errors else 1

    from client.audio_devices import parse_device
    from client.live import LiveConfig, run_live

    config = LiveConfig(
        url=args.server, input_device=parse_device(args.input_device), output_device=parse_device(args.output_device),
        push_to_talk=args.push_to_talk, plain=args.plain, barge_in_min_ms=args.barge_in_min_ms,
        barge_in_pause_ms=args.barge_in_pause_ms,
        prebuffer_ms=args.prebuffer_ms, echo_cancel=not args.no_echo_cancel, output_wav=args.output_wav,
        pipeline=args.pipeline, token=args.token, dump_audio=args.dump_audio,
        verbose=args.verbose or args.log_level == "DEBUG",
    )
    try:
        return asyncio.run(run_live(args.server, config=config))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:  # no audio device, PortAudio failure
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
