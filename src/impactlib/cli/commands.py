"""The ``impact`` command: what the DVC stages call, and helpers for people.

Each subcommand imports what it uses when it runs: a DVC stage pays for its own command
only (papermill for ``run``, TeX tools for ``pdf``...), not for all of them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from impactlib.appraisal import THEMES
from impactlib.core.designs import TEMPLATE_DESIGNS
from impactlib.core.validation import InputError
from impactlib.intake.errors import IntakeError
from impactlib.project import notebooks
from impactlib.project import sources as data
from impactlib.project.paths import ProjectRootNotFound
from impactlib.publish.pdf.tools import PdfBuildError


def _runner():
    """The notebook runner, imported without jsonschema's IRI grammar.

    nbformat (through papermill and jupytext) imports jsonschema, whose optional
    ``rfc3987_syntax`` checker of IRI formats compiles a grammar on import: 0.8 s of every
    notebook stage, for a format no notebook validation uses. Marking the module absent
    (``None`` in ``sys.modules``) makes jsonschema skip that checker in this process only;
    ``impact open-data``, which validates Data Packages, runs in its own process with it.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from impactlib.cli import runner

    return runner


def _cmd_import(args: argparse.Namespace) -> None:
    for path in data.import_sources(names=args.sources or None):
        print(f"imported {path}")


def _cmd_add_source(args: argparse.Namespace) -> None:
    from impactlib.cli.add_source import add_source

    new = add_source(
        args.name,
        args.file,
        provider=args.provider,
        agreement=args.agreement,
        title=args.title,
        received=args.received,
        confidential=args.confidential,
        file_format={
            "encoding": args.encoding,
            "separator": args.separator,
            "decimal": args.decimal,
            "sheet": args.sheet,
        },
    )
    root = new.schema.parents[2]
    for path in (new.file, new.pointer, new.schema, root / "data" / "sources.yaml"):
        print(f"wrote {path.relative_to(root)}")
    if new.identifiers:
        print(f"direct identifiers found (dropped at import): {', '.join(new.identifiers)}")
    print(
        f"next: check {new.schema.relative_to(root)} line by line (types, allowed values, "
        f"key, identifiers: drop or pseudonymise), list {new.name!r} under `sources` in "
        "the study's params file, then `dvc repro`"
    )


def _cmd_repro(args: argparse.Namespace) -> int:
    from impactlib.cli.repro import repro

    return repro(force=args.force)


def _cmd_inputs(_args: argparse.Namespace) -> None:
    from impactlib.project.inputs import write_input_manifests

    print(f"wrote {write_input_manifests()}")


def _cmd_registry(_args: argparse.Namespace) -> None:
    from impactlib.project.inputs import write_source_manifests

    print(f"wrote {write_source_manifests()}")


def _cmd_checksum(args: argparse.Namespace) -> None:
    from impactlib.project.file_sources import FileSource, file_checksum
    from impactlib.project.paths import project_root

    source = data.get_source(args.source)
    if isinstance(source, FileSource):  # a partner's file: the SHA-256 of its bytes
        path = source.file(project_root())
        if not path.is_file():
            raise data.SourceError(
                f"source {source.name!r}: {source.path} does not exist: `dvc pull` it (with "
                "access to the private remote for a confidential file)"
            )
        print(file_checksum(path))
    else:
        print(data.content_checksum(source.fetch()))


def _cmd_run(args: argparse.Namespace) -> None:
    print(f"executed {_runner().run_notebook(args.id)}")


def _cmd_synthesis(_args: argparse.Namespace) -> None:
    print(f"executed {_runner().run_synthesis()}")


def _cmd_money_pages(_args: argparse.Namespace) -> None:
    from impactlib.project.money import write_money_pages

    for path in write_money_pages():
        print(f"wrote {path}")


def _cmd_list(_args: argparse.Namespace) -> None:
    for notebook_id, kind in notebooks.declared().items():
        print(f"{kind.name}\t{notebook_id}")


def _cmd_build_book(_args: argparse.Namespace) -> None:
    _runner().build_book()


def _cmd_new_study(args: argparse.Namespace) -> None:
    from impactlib.cli import scaffold

    created = scaffold.new_study(args.id, design=args.design, theme=args.theme, title=args.title)
    root = created.params_yaml.parent
    for path in created.written:
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit params/{created.study_id}.yaml and the notebook, then `dvc repro`")


def _cmd_open_data(_args: argparse.Namespace) -> None:
    from impactlib.publish import opendata

    path = opendata.publish()
    print(f"wrote {path.parent}")
    print(f"wrote {opendata.write_catalogue()}")


def _cmd_pdf(args: argparse.Namespace) -> None:
    from impactlib.publish import pdf

    if args.brief:
        print(f"wrote {pdf.build_brief(args.brief, output=args.output)}")
        return
    for path in sorted(pdf.publish_pdfs().iterdir()):
        print(f"wrote {path}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impact", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("import", help="materialise data sources into data/raw/")
    p.add_argument("sources", nargs="*", help="source names (default: all in data/sources.yaml)")
    p.set_defaults(func=_cmd_import)

    p = commands.add_parser(
        "repro",
        help="dvc repro, also on a clone without the confidential data (which it names)",
    )
    p.add_argument("--force", action="store_true", help="rerun every stage that can run")
    p.set_defaults(func=_cmd_repro)

    p = commands.add_parser(
        "add-source",
        help="declare a partner's file: registry entry, draft schema, checksum, under DVC",
    )
    p.add_argument("name", help="source name: lowercase letters, digits, underscores")
    p.add_argument("file", type=Path, help="the file as received (CSV, TSV, Excel, Stata...)")
    p.add_argument("--provider", required=True, help="the organisation that handed it over")
    p.add_argument(
        "--agreement", required=True, help="its licence or data-sharing agreement (reference)"
    )
    p.add_argument("--title", help="what the data are, in French (default: the name)")
    p.add_argument("--received", help="date of receipt, YYYY-MM-DD (default: today)")
    p.add_argument(
        "--confidential",
        action="store_true",
        help="personal or restricted data: the file goes to the private DVC remote only",
    )
    p.add_argument("--encoding", help="text files: e.g. cp1252 (default: detected)")
    p.add_argument("--separator", help="text files: e.g. ';' (default: detected)")
    p.add_argument("--decimal", help="text files: ',' or '.' (default: detected)")
    p.add_argument("--sheet", help="Excel: the sheet to read")
    p.set_defaults(func=_cmd_add_source)

    p = commands.add_parser("inputs", help="data/inputs/<id>.json: what each notebook runs with")
    p.set_defaults(func=_cmd_inputs)
    p = commands.add_parser("registry", help="data/registry/<name>.json: each source's fingerprint")
    p.set_defaults(func=_cmd_registry)

    p = commands.add_parser(
        "checksum",
        help="print the checksum of a declared source (its content; a partner's file: its bytes)",
    )
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

    p = commands.add_parser(
        "money-pages", help="write the pages of conversion factors and reference values"
    )
    p.set_defaults(func=_cmd_money_pages)

    p = commands.add_parser("build-book", help="build the Jupyter Book (HTML)")
    p.set_defaults(func=_cmd_build_book)

    p = commands.add_parser(
        "new-study",
        help="create a study (notebook, params, params.yaml, book) from its design's template",
    )
    p.add_argument("id", help="new identifier: lowercase letters, digits, single hyphens")
    # Checked by scaffold.new_study (not `choices`), so that a refusal exits with code 2 and
    # a message naming the problem, like every other error of the command.
    p.add_argument("--design", required=True, help=f"one of: {', '.join(TEMPLATE_DESIGNS)}")
    p.add_argument("--theme", required=True, help=f"one of: {', '.join(THEMES)}")
    p.add_argument("--title", help="title of the report (default: a placeholder)")
    p.set_defaults(func=_cmd_new_study)

    p = commands.add_parser(
        "open-data", help="publish data/open/ (disclosure-checked Data Package) and its book page"
    )
    p.set_defaults(func=_cmd_open_data)

    p = commands.add_parser(
        "pdf", help="book/pdf/: the book as one PDF and a two-page brief per study (needs TeX)"
    )
    p.add_argument("--brief", metavar="ID", help="build only the brief of this study")
    p.add_argument(
        "--output", type=Path, help="with --brief: where (default book/pdf/synthese-<id>.pdf)"
    )
    p.set_defaults(func=_cmd_pdf)
    return parser


# Arguments that name something (a notebook, a source, a file to create): a name with a
# space, a newline or a control character in it is a paste accident, refused before use.
_NAME_ARGUMENTS = {
    "id": "id",
    "source": "source",
    "sources": "source",
    "brief": "--brief",
    "name": "name",
}


def _check_names(args: argparse.Namespace) -> None:
    """Refuse an argument of ``_NAME_ARGUMENTS`` that holds a space or an unprintable character."""
    for attribute, label in _NAME_ARGUMENTS.items():
        values = getattr(args, attribute, None)
        for value in [values] if isinstance(values, str) else values or []:
            if not value or value != value.strip() or not value.isprintable() or " " in value:
                raise InputError(
                    f"{label} {value!r} is not a name: it holds a space, a newline or a control "
                    "character (a stray one from a copy and paste?)"
                )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_names(args)
        code = args.func(args)
    except (
        data.SourceError,
        notebooks.StudyError,
        InputError,
        IntakeError,
        ProjectRootNotFound,
    ) as exc:
        print(f"impact {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except PdfBuildError as exc:
        print(f"impact {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
