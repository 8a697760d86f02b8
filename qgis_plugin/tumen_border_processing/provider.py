"""The Processing provider: the toolbox entry holding the tumen-border algorithms."""
from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import CheckRun, CompareRuns, ComputeBorder

ICON = Path(__file__).with_name("icon.svg")


class TumenBorderProvider(QgsProcessingProvider):
    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        for alg in (ComputeBorder(), CheckRun(), CompareRuns()):
            self.addAlgorithm(alg)

    def id(self):
        return "tumenborder"

    def name(self):
        return "River-and-sea boundary (tumen-border)"

    def longName(self):  # noqa: N802
        return self.name()

    def icon(self):
        return QIcon(str(ICON))

    def svgIconPath(self):  # noqa: N802
        return str(ICON)
