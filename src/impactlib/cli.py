"""The ``impact`` command: what the DVC stages call, and helpers for people."""

from __future__ import annotations

import argparse
import sys

from impactlib import data, pipeline
from impactlib.validation import InputError


def _cmd_import(args: argparse.Namespace) -> None:
    for path in data.import_sources(names=args.sources or None):
        print(f"imported {path}")


def _cmd_checksum(args: argparse.Namespace) -> None:
    source = data.get_source(args.source)
    print(data.content_checksum(source.fetch()))


def _cmd_run(args: argparse.Namespace) -> None:
    print(f"executed {pipeline.run_notebook(args.id)}")


def _cmd_synthesis(_args: argparse.Namespace) -> None:
    print(f"executed {pipeline.run_synthesis()}")


def _cmd_list(_args: argparse.Namespace) -> None:
    for notebook_id, kind in pipeline.declared().items():
        print(f"{kind.name}\t{notebook_id}")


def _cmd_build_book(_args: argparse.Namespace) -> None:
    pipeline.build_book()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impact", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("import", help="materialise data sources into data/raw/")
    p.add_argument("sources", nargs="*", help="source names (default: all in data/sources.yaml)")
    p.set_defaults(func=_cmd_import)

    p = commands.add_parser("checksum", help="print the content checksum of a declared source")
    p.add_argument("source")
    p.set_defaults(func=_cmd_checksum)

    p = commands.add_parser(
        "run", help="execute a study, note or guide notebook with its parameters"
    )
    p.add_argument("id", help="identifier declared in params.yaml")
    p.set_defaults(func=_cmd_run)

    p = commands.add_parser("list", help="list the studies, notes and guide pages of params.yaml")
    p.set_defaults(func=_cmd_list)

    p = commands.add_parser("synthesis", help="build the comparison of impacts and its page")
    p.set_defaults(func=_cmd_synthesis)

    p = commands.add_parser("build-book", help="build the Jupyter Book (HTML)")
    p.set_defaults(func=_cmd_build_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (data.SourceError, pipeline.StudyError, InputError) as exc:
        print(f"impact {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
