"""Where the data of a page come from: the provenance table every report shows.

One function, :func:`provenance_table`, builds the table of every page (studies, report
templates) from the tables the page used, by name: a source of ``data/sources.yaml`` is
described by the registry (its title, package and version, licence, citation keys and
recorded checksum); a partner's file by its file name, provider, date of receipt, licence
or data-sharing agreement, confidentiality and the checksum of the file as received; a
table drawn by a simulator is described by a :class:`SimulatedTable` (generator, seed,
size and the checksum of its content). A new kind of source gets its own description here,
so that the table stays the one place that knows how provenance is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impactlib.core.validation import InputError
from impactlib.project.file_sources import FileSource
from impactlib.project.paths import sources_file
from impactlib.project.sources import Source, SourceError, content_checksum, read_registry

#: Characters of a SHA-256 shown in the table: enough to recognise it, short enough to read.
CHECKSUM_CHARS = 16
CHECKSUM_COLUMN = "Empreinte SHA-256 (début)"
#: The licence of simulated data: there is none, nobody's data are used.
SIMULATED_LICENCE = "sans objet (données simulées)"


@dataclass(frozen=True)
class SimulatedTable:
    """A table drawn by a simulator, described in a provenance table like a source.

    Parameters
    ----------
    frame : DataFrame
        The simulated table, as the page analyses it.
    generator : str
        The function that drew it, by its public dotted name
        (``"impactlib.experiment.cluster_count_trial"``).
    seed : int, optional
        Seed of the generator: with the page's parameters, it gives the same table again.
        By default, the seed the simulator recorded in ``frame.attrs`` (``"dgp"`` or
        ``"truth"``, as the simulators of :mod:`impactlib.experiment` do).
    cluster : str, optional
        Column of the clusters, when the table has some: their number is shown.

    Examples
    --------
    >>> frame = pd.DataFrame({"cluster": [1, 1, 2], "y": [0.5, 1.0, 2.0]})
    >>> table = SimulatedTable(frame, generator="my.simulator", seed=7, cluster="cluster")
    >>> provenance_table({"essai simulé": table}).loc["essai simulé", "Grappes"]
    2
    >>> frame.attrs["dgp"] = {"seed": 8}  # what a simulator records
    >>> SimulatedTable(frame, generator="my.simulator").seed
    8
    """

    frame: pd.DataFrame
    generator: str
    seed: int | None = None
    cluster: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.frame, pd.DataFrame):
            raise InputError(f"frame must be a pandas DataFrame, got {type(self.frame).__name__}")
        if not isinstance(self.generator, str) or not self.generator.strip():
            raise InputError(f"generator must name the simulator, got {self.generator!r}")
        if self.seed is None:
            recorded = [self.frame.attrs.get(key, {}).get("seed") for key in ("dgp", "truth")]
            seeds = [seed for seed in recorded if seed is not None]
            if not seeds:
                raise InputError("seed: give it, the frame's simulator recorded none in attrs")
            object.__setattr__(self, "seed", seeds[0])
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise InputError(f"seed must be an int, got {self.seed!r}")
        if self.cluster is not None and self.cluster not in self.frame.columns:
            raise InputError(f"cluster column {self.cluster!r} not found in frame")


def _source_row(source: Source, frame: pd.DataFrame) -> dict[str, object]:
    # The recorded checksum: `load` refused the table unless its content matched it.
    return {
        "Contenu": source.title,
        "Paquet": f"{source.package} {source.package_version()}",
        "Licence": source.licence,
        "Citation": ", ".join(source.citation),
        "Lignes": len(frame),
        CHECKSUM_COLUMN: source.sha256[:CHECKSUM_CHARS],
    }


def _file_row(source: FileSource, frame: pd.DataFrame) -> dict[str, object]:
    # The checksum of the partner's file as received: `load` refused a table imported from
    # any other file or schema.
    return {
        "Contenu": source.title,
        "Fichier": Path(source.path).name,
        "Fournisseur": source.provider,
        "Reçu le": source.received,
        "Licence": source.agreement,
        "Citation": ", ".join(source.citation),
        "Lignes": len(frame),
        "Données": "confidentielles (dépôt privé)" if source.confidential else "publiables",
        CHECKSUM_COLUMN: source.sha256[:CHECKSUM_CHARS],
    }


def _simulated_row(table: SimulatedTable) -> dict[str, object]:
    # The checksum of the content: a rerun that draws other data shows another one.
    row: dict[str, object] = {"Générateur": table.generator, "Graine": str(table.seed)}
    row["Lignes"] = len(table.frame)
    if table.cluster is not None:
        row["Grappes"] = int(table.frame[table.cluster].nunique())
    row["Licence"] = SIMULATED_LICENCE
    row[CHECKSUM_COLUMN] = content_checksum(table.frame)[:CHECKSUM_CHARS]
    return row


def provenance_table(
    frames: Mapping[str, pd.DataFrame | SimulatedTable], *, root: Path | None = None
) -> pd.DataFrame:
    """The provenance of the tables a page used, in French, one row per table.

    Parameters
    ----------
    frames : mapping of str to DataFrame or SimulatedTable
        The tables the page analysed: a table loaded with
        :func:`impactlib.project.sources.load` under its source's name, or a
        :class:`SimulatedTable` under the label the page gives it.
    root : Path, optional
        Project root (default: found from the working directory), for the registry.

    Returns
    -------
    DataFrame
        Indexed by ``Source``. A registered source shows ``Contenu`` (title), ``Paquet``
        (package and installed version), ``Licence``, ``Citation`` (keys of the
        bibliography), ``Lignes`` and the start of its recorded SHA-256; a partner's file
        shows ``Fichier``, ``Fournisseur``, ``Reçu le``, ``Licence`` (its licence or
        data-sharing agreement), ``Données`` (publishable or confidential) instead of the
        package; a simulated table
        shows ``Générateur``, ``Graine``, ``Lignes``, ``Grappes`` (with a cluster column),
        ``Licence`` and the start of its content's SHA-256. A column that one kind lacks
        is empty on its rows. Show it with :func:`impactlib.report.french_table`.

    Raises
    ------
    SourceError
        A DataFrame under a name that ``data/sources.yaml`` does not declare.
    InputError
        No table, or a value that is neither a DataFrame nor a SimulatedTable.

    Examples
    --------
    >>> table = provenance_table({"nsw_mixtape": load("nsw_mixtape")})  # doctest: +SKIP
    >>> table.loc["nsw_mixtape", "Lignes"]  # doctest: +SKIP
    445
    """
    if not isinstance(frames, Mapping) or not frames:
        raise InputError("frames must map at least one source name to the table the page used")
    registry = None
    rows = {}
    for name, frame in frames.items():
        if isinstance(frame, SimulatedTable):
            rows[name] = _simulated_row(frame)
        elif isinstance(frame, pd.DataFrame):
            registry = registry if registry is not None else read_registry(sources_file(root))
            if name not in registry:
                raise SourceError(
                    f"frames: source {name!r} is not declared in data/sources.yaml "
                    f"(declared: {', '.join(sorted(registry))}); describe a simulated table "
                    "with SimulatedTable"
                )
            source = registry[name]
            is_file = isinstance(source, FileSource)
            rows[name] = _file_row(source, frame) if is_file else _source_row(source, frame)
        else:
            raise InputError(
                f"frames[{name!r}] must be a DataFrame or a SimulatedTable, "
                f"got {type(frame).__name__}"
            )
    # Columns in the order the rows name them; a column a row lacks is empty there, and
    # object columns keep counts as integers (not floats beside missing values).
    columns = list(dict.fromkeys(column for row in rows.values() for column in row))
    values = [[row.get(column, "") for column in columns] for row in rows.values()]
    return pd.DataFrame(
        values, index=pd.Index(list(rows), name="Source"), columns=columns, dtype=object
    )
