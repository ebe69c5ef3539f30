"""The pipeline: sources → normalize → commit → acknowledge, in batches (`runner.Pipeline`)."""

from eventstream.pipeline.runner import Pipeline, Totals

__all__ = ["Pipeline", "Totals"]
