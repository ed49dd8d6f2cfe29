"""``python -m bench run [--quick | --smoke] [--only P1,P5] [--no-tipg] [--out PATH]``."""

from __future__ import annotations

import argparse
import sys

from bench.runner import MODES, SCALES, run


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the measures and write bench/RESULTS.md")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke",
                      help="tiny data, seconds: keeps the scripts from rotting")  # fmt: skip
    p.add_argument("--only", default="", help="comma list of measures, e.g. P1,P5,LOAD")
    p.add_argument("--no-tipg", action="store_true", help="skip tipg (P5 has no ratio then)")
    p.add_argument("--no-province", action="store_true", help="banner scale only")
    p.add_argument(
        "--scales",
        default=",".join(SCALES),
        help="comma list of banner, province, scale (the 10,000,000-case run, built once)",
    )
    p.add_argument("--out", default=None, help="where to write (default bench/RESULTS.md)")
    p.add_argument("--data-dir", default=None, help="cluster root (default var/bench)")
    args = parser.parse_args(argv)
    only = {m.strip().upper() for m in args.only.split(",") if m.strip()}
    chosen = tuple(s.strip() for s in args.scales.split(",") if s.strip())
    if not chosen or set(chosen) - set(SCALES):
        parser.error(f"--scales: choose among {', '.join(SCALES)}")
    return run(
        mode=args.mode or "full",
        only=only,
        use_tipg=not args.no_tipg,
        province=not args.no_province,
        out=args.out,
        data_dir=args.data_dir,
        argv=argv,
        chosen=chosen,
    )


if __name__ == "__main__":
    assert set(MODES)
    raise SystemExit(main())
