"""linegroup: separate the lines of a line chart into instances.

    from linegroup import LineGrouper
    g = LineGrouper.load()                 # the weights shipped with the package
    res = g.predict(image, candidates=None)
    res.mask, res.lines
"""

__version__ = "0.1.0"

__all__ = ["LineGrouper", "PredictResult", "__version__"]


def __getattr__(name):  # lazy: `import linegroup` stays cheap for the CLI
    if name in ("LineGrouper", "PredictResult"):
        from . import predict

        return getattr(predict, name)
    raise AttributeError(name)
