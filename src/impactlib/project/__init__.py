"""The project on disk: paths, the source registry and raw data, the provenance table of
the data a page used, results files, atomic writes, the notebook registry of
``params.yaml``."""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "atomic_path": ".atomic",
        "staged_folder": ".atomic",
        "COMPARISON_FILE": ".comparison",
        "build_comparison": ".comparison",
        "read_comparison": ".comparison",
        "write_comparison": ".comparison",
        "KINDS": ".notebooks",
        "Kind": ".notebooks",
        "SLUG": ".notebooks",
        "StudyError": ".notebooks",
        "declared": ".notebooks",
        "declared_studies": ".notebooks",
        "notebook_paths": ".notebooks",
        "read_parameters": ".notebooks",
        "ProjectRootNotFound": ".paths",
        "ROOT_MARKER": ".paths",
        "figures_dir": ".paths",
        "project_root": ".paths",
        "raw_dir": ".paths",
        "results_dir": ".paths",
        "sources_file": ".paths",
        "SimulatedTable": ".provenance",
        "provenance_table": ".provenance",
        "SCHEMA_VERSION": ".results",
        "read_estimates": ".results",
        "write_estimates": ".results",
        "write_json_atomic": ".results",
        "ChecksumMismatch": ".sources",
        "REQUIRED_KEYS": ".sources",
        "Source": ".sources",
        "SourceError": ".sources",
        "canonical": ".sources",
        "content_checksum": ".sources",
        "get_source": ".sources",
        "import_sources": ".sources",
        "load": ".sources",
        "read_registry": ".sources",
        "verify": ".sources",
    },
)
