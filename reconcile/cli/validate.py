"""`reconcile validate` and `reconcile schema`."""

from reconcile.cli.app import app


@app.command()
def version() -> None:
    """Print the version."""
    from reconcile import __version__

    print(__version__)
